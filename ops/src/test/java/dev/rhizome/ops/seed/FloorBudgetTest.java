package dev.rhizome.ops.seed;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FloorBudgetTest {
    @Test
    void aMachineWithCoresToSpareGetsTheMinuteAndALoadedOneMoreUpToACeiling() {
        assertThat(FloorBudget.of(0.5, 2)).isEqualTo(Duration.ofSeconds(60));
        assertThat(FloorBudget.of(-1, 2)).as("load unknown").isEqualTo(Duration.ofSeconds(60));
        // load 24 on 2 cores, where the fixed minute timed out and failed the demo
        assertThat(FloorBudget.of(24, 2)).isEqualTo(Duration.ofMinutes(10));
        assertThat(FloorBudget.of(6, 2)).isEqualTo(Duration.ofSeconds(180));
        assertThat(FloorBudget.of(1000, 1)).as("a hung computation still fails").isEqualTo(Duration.ofMinutes(10));
    }
}
