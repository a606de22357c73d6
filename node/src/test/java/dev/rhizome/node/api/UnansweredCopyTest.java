package dev.rhizome.node.api;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.SilentAddress;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * A cut claim's copy that gets no answer in its patience is one the caller sends again
 * ({@code ClaimDelivery.settleCutClaim}): the request's own timeout and the wait for its answer are
 * the same length, and whichever ends first must read as "not answered in time", never as a failed
 * exchange, which ended the settling at once and left the claim in the journal.
 */
class UnansweredCopyTest {
    @Test
    void aCopyNobodyAnswersIsLateWhicheverTimerEndsFirst() throws Exception {
        try (SilentAddress silent = new SilentAddress()) {
            CoordinatorHttp http = new CoordinatorHttp(URI.create("http://127.0.0.1:" + silent.port()),
                    Duration.ofSeconds(5), 1 << 20, () -> { });
            // Each timer wins some of the time: enough tries to meet both.
            for (int i = 0; i < 20; i++) {
                assertThatThrownBy(() -> http.postWithin("/v1/claim", SignedEnvelope.getDefaultInstance(),
                        Duration.ofMillis(50))).as("try %d", i).isInstanceOf(TimeoutException.class);
            }
        }
    }
}
