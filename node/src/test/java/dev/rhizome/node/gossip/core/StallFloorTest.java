package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StallFloorTest {
    @Test
    void withoutACapTheFloorIs64KiBAPeriodAndUnderACapHalfOfEachTransfersShare() {
        assertThat(StallFloor.minProgressBytes(0, 10_000, 16)).isEqualTo(64 * 1024);
        assertThat(StallFloor.minProgressBytes(10L << 20, 10_000, 16)).as("a generous cap changes nothing").isEqualTo(64 * 1024);
        // 20 KiB/s shared by 16 transfers: 1,280 B/s each, 12.8 KB a 10 s period, half of that required
        assertThat(StallFloor.minProgressBytes(20 * 1024, 10_000, 16)).isEqualTo(20 * 1024 * 10 / 16 / 2);
        assertThat(StallFloor.minProgressBytes(1, 10_000, 16)).isEqualTo(1);
    }
}
