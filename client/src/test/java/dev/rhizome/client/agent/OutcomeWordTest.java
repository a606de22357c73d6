package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.ExperimentReport;
import org.junit.jupiter.api.Test;

/** The one word `rhizome log` gives an experiment's outcome, from the report `wait` reads. */
class OutcomeWordTest {
    private static final ExperimentReport DECIDED = ExperimentReport.newBuilder().setDecided(true).build();

    @Test
    void eachStateOfAReportHasItsWord() {
        assertThat(OutcomeWord.of(ExperimentReport.newBuilder().setPendingUnits(2).build())).isEqualTo("pending");
        assertThat(OutcomeWord.of(DECIDED.toBuilder().setAdopted(true).setHasMetric(true).build())).isEqualTo("adopted");
        assertThat(OutcomeWord.of(DECIDED.toBuilder().setHasMetric(true).setMetric(3.1).build())).isEqualTo("rejected");
        assertThat(OutcomeWord.of(DECIDED)).as("decided with no OK result").isEqualTo("crashed");
        assertThat(OutcomeWord.of(DECIDED.toBuilder().setGivenUp("no peer served it").build())).isEqualTo("given_up");
        assertThat(OutcomeWord.reason(DECIDED.toBuilder().setGivenUp("no peer served it").build()))
                .isEqualTo("no peer served it");
        ExperimentReport confirming = ExperimentReport.newBuilder().setHasMetric(true)
                .setConfirmation(Confirmation.newBuilder().setState(Confirmation.State.CONFIRMING)).build();
        assertThat(OutcomeWord.of(confirming)).isEqualTo("confirming");
        ExperimentReport refused = DECIDED.toBuilder().setHasMetric(true).setConfirmation(Confirmation.newBuilder()
                .setState(Confirmation.State.REFUSED).setReason("gain 0.004 < 2 SE (0.003)")).build();
        assertThat(OutcomeWord.of(refused)).isEqualTo("rejected");
        assertThat(OutcomeWord.reason(refused)).as("the paired comparison, gain and SE").isEqualTo("gain 0.004 < 2 SE (0.003)");
    }

    @Test
    void aConfirmationStateThisClientDoesNotKnowIsGivenAsTheCoordinatorSentIt() {
        // a newer coordinator's state (say, superseded) arrives as a number this client has no name for
        ExperimentReport newer = DECIDED.toBuilder().setHasMetric(true)
                .setConfirmation(Confirmation.newBuilder().setStateValue(97)).build();
        assertThat(OutcomeWord.of(newer)).isEqualTo("confirmation_state_97");
        ExperimentReport confirmedYetNotAdopted = DECIDED.toBuilder().setHasMetric(true)
                .setConfirmation(Confirmation.newBuilder().setState(Confirmation.State.CONFIRMED)).build();
        assertThat(OutcomeWord.of(confirmedYetNotAdopted)).isEqualTo("confirmed");
    }
}
