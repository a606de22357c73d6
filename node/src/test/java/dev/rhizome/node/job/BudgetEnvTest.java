package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.proto.v1.Budget;
import org.junit.jupiter.api.Test;

class BudgetEnvTest {
    @Test
    void stepBudgetAndSeed() {
        assertThat(BudgetEnv.of(Budget.newBuilder().setSteps(5000).build(), 42))
                .containsOnly(org.assertj.core.api.Assertions.entry("RHIZOME_STEPS", "5000"),
                        org.assertj.core.api.Assertions.entry("RHIZOME_RANDOM_SEED", "42"));
    }

    @Test
    void wallClockBudgetAndAnUnsignedSeed() {
        assertThat(BudgetEnv.of(Budget.newBuilder().setWallSeconds(300).build(), -1))
                .containsOnly(org.assertj.core.api.Assertions.entry("RHIZOME_WALL_SECONDS", "300"),
                        org.assertj.core.api.Assertions.entry("RHIZOME_RANDOM_SEED", "18446744073709551615"));
    }

    @Test
    void missingBudgetIsRefused() {
        assertThatThrownBy(() -> BudgetEnv.of(Budget.getDefaultInstance(), 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
