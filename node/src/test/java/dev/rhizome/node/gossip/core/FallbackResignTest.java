package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A protocol that asks for no wakeups has its hello re-signed as often as the core re-signs its own. On virtual time. */
class FallbackResignTest {
    @Test
    void ticksEveryFewHundredMillisecondsResignOncePerCoreInterval() {
        long start = 5_000_000;
        FallbackResign resign = new FallbackResign(start);
        List<Long> at = new ArrayList<>();
        for (long t = start; t <= start + 5 * SelfSigner.RESIGN_MS; t += 300) {
            if (resign.due(t)) {
                at.add(t - start);
            }
        }

        assertThat(at).containsExactly(60_000L, 120_000L, 180_000L, 240_000L, 300_000L);
    }

    @Test
    void aTickLateAfterAPauseResignsOnceAndCountsFromThen() {
        FallbackResign resign = new FallbackResign(0);
        assertThat(resign.due(SelfSigner.RESIGN_MS - 1)).isFalse();
        assertThat(resign.due(10 * SelfSigner.RESIGN_MS)).isTrue();
        assertThat(resign.due(10 * SelfSigner.RESIGN_MS + 1)).isFalse();
        assertThat(resign.due(11 * SelfSigner.RESIGN_MS)).isTrue();
    }
}
