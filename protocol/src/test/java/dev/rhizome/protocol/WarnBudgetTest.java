package dev.rhizome.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class WarnBudgetTest {
    final WarnBudget budget = new WarnBudget(LoggerFactory.getLogger(WarnBudgetTest.class), 3, 60_000);

    @Test
    void aFewWarningsAMinuteGoOutAndTheNextOneAfterSaysHowManyWereHeldBack() {
        assertThat(budget.admit(0)).isZero();
        assertThat(budget.admit(1)).isZero();
        assertThat(budget.admit(2)).isZero();
        for (int i = 0; i < 1000; i++) {
            assertThat(budget.admit(10 + i)).as("past the budget").isEqualTo(-1);
        }
        assertThat(budget.admit(59_999)).isEqualTo(-1);
        assertThat(budget.admit(60_000)).as("the next window tells what was held back").isEqualTo(1001);
        assertThat(budget.admit(60_001)).isZero();
    }

    @Test
    void noMinuteLetsMoreThanTheBudgetThroughEvenAcrossTheMinuteOfTheFirstWarning() {
        assertThat(budget.admit(0)).isZero();
        assertThat(budget.admit(59_000)).isZero();
        assertThat(budget.admit(59_001)).isZero();
        // A window restarting each minute let three more through here: six in two seconds.
        assertThat(budget.admit(60_000)).as("the first one's place, a minute on").isZero();
        assertThat(budget.admit(60_001)).as("within a minute of three let through").isEqualTo(-1);
        assertThat(budget.admit(118_999)).isEqualTo(-1);
        assertThat(budget.admit(119_000)).as("a minute after the second").isEqualTo(2);
    }
}
