package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import org.junit.jupiter.api.Test;

/**
 * An experiment decided with no result because its evaluations were given up (no runner could
 * fetch the commit) said only `decided: true, valid: false, metric: null` in `wait --json`: the
 * coordinator's reason, in its answer, was left out, so an agent could not tell "nobody could run
 * it" (serve the commit, submit again) from "it ran and failed".
 */
class OutcomeTest {
    @Test
    void anExperimentWhoseEvaluationsWereGivenUpSaysWhyInJsonAndText() {
        Identity proposer = Identity.generate();
        Experiment e = Experiment.newBuilder().setCommit("c".repeat(40)).setParent("p".repeat(40)).setDirection("d")
                .setProposer(proposer.publicId().toByteString()).build();
        ExperimentReport given = ExperimentReport.newBuilder().setExperiment(Envelopes.sign(proposer, e)).setDecided(true)
                .setGivenUp("no runner could fetch the commit").build();
        JsonObject json = Outcome.json(e.getCommit(), given);
        assertThat(json.get("given_up").getAsString()).isEqualTo("no runner could fetch the commit");
        assertThat(Outcome.text(e.getCommit(), given)).contains("given up: no runner could fetch the commit");

        JsonObject ran = Outcome.json(e.getCommit(), given.toBuilder().clearGivenUp().build());
        assertThat(ran.get("given_up").isJsonNull()).as("the key is there, null, when nothing was given up").isTrue();
    }
}
