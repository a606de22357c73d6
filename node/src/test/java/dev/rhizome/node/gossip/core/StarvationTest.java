package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StarvationTest {
    @Test
    void aStallIsExcusedOnlyAfterAQuarterOfAStallPeriodStarvedWithinThreePeriods() {
        Starvation starvation = new Starvation(10_000);
        long now = 1_000_000;
        starvation.starved(1_200, now);
        assertThat(starvation.excusesStall(now)).as("a second's noise").isFalse();
        starvation.starved(1_500, now + 5_000);
        assertThat(starvation.excusesStall(now + 5_000)).isTrue();
        assertThat(starvation.excusesStall(now + 29_000)).isTrue();
        assertThat(starvation.excusesStall(now + 30_001)).as("the first spell aged out").isFalse();
    }
}
