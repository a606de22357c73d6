package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrialRequeuesTest {
    @Test
    void aTrialIsQueuedAgainAtMostThreeTimes() {
        assertThat(TrialRequeues.mayQueueAgain(0)).isTrue();
        assertThat(TrialRequeues.mayQueueAgain(TrialRequeues.MAX_PER_TRIAL - 1)).isTrue();
        assertThat(TrialRequeues.mayQueueAgain(TrialRequeues.MAX_PER_TRIAL)).isFalse();
    }

    @Test
    void aTrialAtTheCapIsSpentOnlyOnceItsLastReplicasAreDecided() {
        Map<Long, Integer> times = Map.of(7L, 3, 8L, 1);
        assertThat(TrialRequeues.spent(times, seed -> true)).as("the third set still pending").isEmpty();
        assertThat(TrialRequeues.spent(times, seed -> false)).containsExactly(7L);
    }

    @Test
    void theViewSaysWhyTheBaseWaitsAndWhatFollowsTheCap() {
        assertThat(TrialRequeues.unmeasuredBase(Map.of(), List.of())).as("never queued again: the ordinary wait")
                .isEmpty();
        assertThat(TrialRequeues.unmeasuredBase(Map.of(7L, 2), List.of()))
                .contains("queued again for an established class (2 of 3");
        assertThat(TrialRequeues.unmeasuredBase(Map.of(-1L, 3), List.of(-1L)))
                .contains("seed(s) [18446744073709551615]").contains("not queued again")
                .contains("until an operator acts");
    }
}
