package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The upload token bucket on virtual time. */
class UploadPacerTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aBurstGoesAtOnceThenChunksWaitForTheRate() {
        UploadPacer pacer = new UploadPacer(1000, 500, 0);  // 1000 bytes a second, 500 saved up
        assertThat(pacer.waitNanos(0)).isZero();
        pacer.spend(500, 0);
        assertThat(pacer.waitNanos(0)).isZero();  // not in debt yet: a chunk may still go
        pacer.spend(300, 0);
        assertThat(pacer.waitNanos(0)).isEqualTo(300 * SECOND / 1000);  // 300 bytes of debt at 1000/s
        assertThat(pacer.waitNanos(300 * SECOND / 1000)).isZero();
    }

    @Test
    void savingsNeverPassTheBurst() {
        UploadPacer pacer = new UploadPacer(1000, 500, 0);
        pacer.spend(500, 0);
        assertThat(pacer.waitNanos(3600 * SECOND)).isZero();
        pacer.spend(1000, 3600 * SECOND);  // an hour idle saved only 500
        assertThat(pacer.waitNanos(3600 * SECOND)).isEqualTo(500 * SECOND / 1000);
    }

    @Test
    void overTimeTheRateHolds() {
        UploadPacer pacer = new UploadPacer(1_000_000, 100_000, 0);
        long now = 0;
        long sent = 0;
        while (now < 10 * SECOND) {
            long wait = pacer.waitNanos(now);
            if (wait > 0) {
                now += wait;
                continue;
            }
            pacer.spend(50_000, now);
            sent += 50_000;
        }
        // Ten seconds at 1 MB/s, plus the burst and one chunk of debt.
        assertThat(sent).isBetween(10_000_000L, 10_000_000L + 100_000 + 50_000);
    }

    @Test
    void noRateNeverWaits() {
        UploadPacer pacer = UploadPacer.unlimited();
        pacer.spend(Long.MAX_VALUE / 2, 0);
        assertThat(pacer.waitNanos(0)).isZero();
    }
}
