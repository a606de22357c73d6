package dev.rhizome.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoadScaledBudgetTest {
    private final LoadScaledBudget budget = new LoadScaledBudget(Duration.ofSeconds(20), Duration.ofMinutes(2));

    @Test
    void aMachineWithACoreToSpareOrAnUnknownLoadGetsTheBase() {
        assertThat(budget.at(0.5, 2)).isEqualTo(Duration.ofSeconds(20));
        assertThat(budget.at(2.0, 2)).isEqualTo(Duration.ofSeconds(20));
        assertThat(budget.at(-1, 2)).isEqualTo(Duration.ofSeconds(20));
        assertThat(budget.at(30, 0)).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void theWaitGrowsWithTheLoadPerCoreUpToTheCeiling() {
        assertThat(budget.at(6, 2)).isEqualTo(Duration.ofSeconds(60));
        assertThat(budget.at(30, 2)).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void aCeilingBelowTheBaseIsRefused() {
        assertThatThrownBy(() -> new LoadScaledBudget(Duration.ofSeconds(20), Duration.ofSeconds(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base <= ceiling");
    }
}
