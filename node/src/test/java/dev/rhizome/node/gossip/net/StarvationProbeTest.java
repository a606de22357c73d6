package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StarvationProbeTest {
    static final long MS = 1_000_000;

    @Test
    void onlyARunLateByMoreThanTheNoiseIsReportedAndEachLatenessOnce() {
        StarvationProbe probe = new StarvationProbe(0);
        long t = StarvationProbe.PERIOD_MS * MS + 300 * MS; // 300 ms late: noise
        assertThat(probe.lateMs(t)).isZero();
        t += StarvationProbe.PERIOD_MS * MS + 4_000 * MS; // starved for 4 s
        assertThat(probe.lateMs(t)).isEqualTo(4_000);
        t += StarvationProbe.PERIOD_MS * MS;
        assertThat(probe.lateMs(t)).isZero();
    }
}
