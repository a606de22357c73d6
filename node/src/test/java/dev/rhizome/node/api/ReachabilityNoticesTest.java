package dev.rhizome.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What a volunteer reads about reaching the coordinator: at once, then once a period, then the recovery. */
class ReachabilityNoticesTest {
    private static final String URL = "http://127.0.0.1:47001";
    private final ReachabilityNotices notices = new ReachabilityNotices(URL, Duration.ofMinutes(1));

    @Test
    void theFirstFailureIsToldAtOnceNamingTheAddressAndTheError() {
        String line = notices.unreachable("coordinator at " + URL + " is unreachable: connection refused", 1_000);
        assertThat(line).contains(URL).contains("connection refused").contains("keeps trying");
    }

    @Test
    void aLastingTroubleIsToldOncePerPeriodWithHowLongAndHowOften() {
        assertThat(notices.unreachable("refused", 0)).isNotNull();
        for (long t = 1_000; t < 60_000; t += 1_000) {
            assertThat(notices.unreachable("refused", t)).as("at %d ms", t).isNull();
        }
        String again = notices.unreachable("refused", 61_000);
        assertThat(again).startsWith("still: ").contains("for 61 s").contains("59 more");
        assertThat(notices.unreachable("refused", 62_000)).isNull();
    }

    @Test
    void aCallThatWaitsIsToldBeforeItTimesOut() {
        String line = notices.slow("POST /v1/claim", Duration.ofSeconds(5), 5_000);
        assertThat(line).contains(URL).contains("POST /v1/claim").contains("5 s");
    }

    @Test
    void recoveryIsToldOnlyAfterATroubleWasAndFlappingStaysQuiet() {
        assertThat(notices.answered(0)).as("nothing was wrong").isNull();
        assertThat(notices.unreachable("refused", 1_000)).isNotNull();
        assertThat(notices.answered(11_000)).contains("answers again").contains("10 s");
        assertThat(notices.answered(12_000)).isNull();
        // down again within the period: not told again until the period is over
        assertThat(notices.unreachable("refused", 13_000)).isNull();
        assertThat(notices.answered(14_000)).isNull();
        assertThat(notices.unreachable("refused", 62_000)).isNotNull();
    }
}
