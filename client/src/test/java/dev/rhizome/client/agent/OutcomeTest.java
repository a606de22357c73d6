package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.Result;
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
    void aCandidateConfirmingAtFreshSeedsSaysSoWithItsSeeds() {
        Identity proposer = Identity.generate();
        Experiment e = Experiment.newBuilder().setCommit("c".repeat(40)).setParent("p".repeat(40)).setDirection("d")
                .setProposer(proposer.publicId().toByteString()).build();
        ExperimentReport plain = ExperimentReport.newBuilder().setExperiment(Envelopes.sign(proposer, e)).build();
        assertThat(Outcome.json(e.getCommit(), plain).get("confirmation").isJsonNull()).isTrue();
        ExperimentReport confirming = plain.toBuilder().setConfirmation(Confirmation.newBuilder()
                .setState(Confirmation.State.CONFIRMING).addRandomSeeds(1_234_567L).addRandomSeeds(89L)
                .setFrontier("p".repeat(40))).build();
        JsonObject c = Outcome.json(e.getCommit(), confirming).getAsJsonObject("confirmation");
        assertThat(c.get("state").getAsString()).isEqualTo("CONFIRMING");
        assertThat(c.getAsJsonArray("random_seeds").get(0).getAsLong()).isEqualTo(1_234_567L);
        assertThat(c.get("frontier_commit").getAsString()).isEqualTo("p".repeat(40));
        assertThat(c.get("reason").isJsonNull()).isTrue();
        assertThat(Outcome.text(e.getCommit(), confirming))
                .contains("passed at the trial seeds, confirming at seeds [1234567, 89]").contains("not adopted");
    }

    /** A confirmation closed because the frontier moved tells the agent so, with the reason and the new frontier. */
    @Test
    void aSupersededCandidateSaysWhyInJsonAndText() {
        Identity proposer = Identity.generate();
        Experiment e = Experiment.newBuilder().setCommit("c".repeat(40)).setParent("p".repeat(40)).setDirection("d")
                .setProposer(proposer.publicId().toByteString()).build();
        String reason = "superseded: the frontier moved from ppppppp to fffffff while it confirmed";
        ExperimentReport superseded = ExperimentReport.newBuilder().setExperiment(Envelopes.sign(proposer, e))
                .setDecided(true).setConfirmation(Confirmation.newBuilder().setState(Confirmation.State.SUPERSEDED)
                        .addRandomSeeds(7L).setFrontier("f".repeat(40)).setReason(reason)).build();
        JsonObject c = Outcome.json(e.getCommit(), superseded).getAsJsonObject("confirmation");
        assertThat(c.get("state").getAsString()).isEqualTo("SUPERSEDED");
        assertThat(c.get("frontier_commit").getAsString()).isEqualTo("f".repeat(40));
        assertThat(c.get("reason").getAsString()).isEqualTo(reason);
        assertThat(Outcome.text(e.getCommit(), superseded)).contains("the frontier moved to fffffff")
                .contains("superseded").contains("not adopted");
    }

    /** A commit the paired rule turned down says by how much: its mean gain, SE and the bound it missed. */
    @Test
    void aRejectedCommitSaysTheNumbersItWasDecidedBy() {
        Identity proposer = Identity.generate();
        Experiment e = Experiment.newBuilder().setCommit("c".repeat(40)).setParent("p".repeat(40)).setDirection("d")
                .setProposer(proposer.publicId().toByteString()).build();
        dev.rhizome.proto.v1.PairedComparison trials = dev.rhizome.proto.v1.PairedComparison.newBuilder()
                .setDecision(dev.rhizome.proto.v1.PairedComparison.Decision.NOT_PASSED).setFrontier("f".repeat(40))
                .setHardwareClass("cpu:x86_64").addRandomSeeds(42).addRandomSeeds(43).addRandomSeeds(44)
                .addCandidateMetrics(3.2).addCandidateMetrics(3.1).addCandidateMetrics(3.0)
                .addFrontierMetrics(3.21).addFrontierMetrics(3.16).addFrontierMetrics(3.11)
                .setMeanGain(0.06).setStandardError(0.03).setSignificance(2).setBound(0.06 + 1e-12)
                .setTolerance(0.01).setSeedsCompared(3).setReason("mean gain 0.06 is not above 2 standard errors")
                .build();
        ExperimentReport rejected = ExperimentReport.newBuilder().setExperiment(Envelopes.sign(proposer, e))
                .setDecided(true).setHasMetric(true).setMetric(3.1).setTrialComparison(trials).build();
        JsonObject o = Outcome.json(e.getCommit(), rejected);
        JsonObject t = o.getAsJsonObject("trial_comparison");
        assertThat(t.get("decision").getAsString()).isEqualTo("NOT_PASSED");
        assertThat(t.get("mean_gain").getAsDouble()).isEqualTo(0.06);
        assertThat(t.get("standard_error").getAsDouble()).isEqualTo(0.03);
        assertThat(t.get("bound").getAsDouble()).isEqualTo(0.06 + 1e-12);
        assertThat(t.get("seeds_compared").getAsInt()).isEqualTo(3);
        assertThat(t.getAsJsonArray("candidate_metrics")).hasSize(3);
        assertThat(t.get("frontier_commit").getAsString()).isEqualTo("f".repeat(40));
        assertThat(o.get("confirmation_comparison").isJsonNull()).isTrue();
        String why = "at the trial seeds against ffffffffff: mean gain 0.06 (SE 0.03) over 3 seed(s), needed "
                + "above 0.06 (2 x SE) and the tolerance 0.01: not passed";
        assertThat(Outcome.text(e.getCommit(), rejected)).contains("not adopted (" + why + ")");
        assertThat(OutcomeWord.reason(rejected)).isEqualTo(why);
        assertThat(OutcomeWord.of(rejected)).isEqualTo(OutcomeWord.REJECTED);
        // undecided: no verdict shown yet
        assertThat(Outcome.text(e.getCommit(), rejected.toBuilder().setDecided(false).build())).doesNotContain("needed");
    }

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

    /**
     * Three TIMEOUT results ended a ten-minute `submit --wait` as `valid: false, metric: null` and
     * "decided, no OK result": why (`prepare timed out`, a machine too slow rather than a bad commit)
     * was only in `results --commit`.
     */
    @Test
    void anExperimentDecidedWithNoOkResultSaysItsResultsStatusesAndReasons() {
        Identity proposer = Identity.generate();
        Experiment e = Experiment.newBuilder().setCommit("e16e6e68e09d7325ed18e6cdc17c771f2130b810").setParent("p".repeat(40))
                .setDirection("d").setProposer(proposer.publicId().toByteString()).build();
        ExperimentReport timedOut = ExperimentReport.newBuilder().setExperiment(Envelopes.sign(proposer, e)).setDecided(true)
                .addResults(WaitProgressTest.result(Result.Status.TIMEOUT))
                .addResults(WaitProgressTest.result(Result.Status.TIMEOUT)).build();
        JsonObject json = Outcome.json(e.getCommit(), timedOut);
        assertThat(json.get("result_statuses").toString()).isEqualTo("[\"TIMEOUT\",\"TIMEOUT\"]");
        assertThat(json.get("result_reasons").toString()).isEqualTo("[\"prepare timed out\",\"prepare timed out\"]");
        assertThat(Outcome.text(e.getCommit(), timedOut))
                .isEqualTo("e16e6e68e0: decided, no OK result (2 TIMEOUT: prepare timed out); not adopted");

        ExperimentReport measured = timedOut.toBuilder().clearResults().addResults(WaitProgressTest.result(Result.Status.OK))
                .setHasMetric(true).setMetric(1.8).setReplicas(1).build();
        assertThat(Outcome.json(e.getCommit(), measured).get("result_reasons").toString())
                .as("an OK result's reason is null, beside its status").isEqualTo("[null]");

        // one seed's run timed out: decided and not valid, which said "(replicas do not agree yet)"
        ExperimentReport partly = measured.toBuilder().setMetricName("val_bpb").setHardwareClass("cpu:x")
                .addResults(WaitProgressTest.result(Result.Status.TIMEOUT)).build();
        assertThat(Outcome.text(e.getCommit(), partly)).isEqualTo("e16e6e68e0: decided, val_bpb 1.800000, the mean of 1 OK "
                + "result(s) on cpu:x, not valid (1 OK, 1 TIMEOUT: prepare timed out); not adopted");
        assertThat(Outcome.text(e.getCommit(), partly.toBuilder().setDecided(false).build()))
                .contains("(replicas do not agree yet)");
    }

    /**
     * A tiny-lm experiment (quorum 1, 3 trial seeds) ended "val_bpb 2.250199 over 3 replica(s)": a new
     * agent read three runs agreeing on one figure, when it was the mean of one run at each of three
     * seeds, each far from the others.
     */
    @Test
    void aMeasuredExperimentSaysItsMetricIsTheMeanOverItsSeeds() {
        Identity proposer = Identity.generate();
        Experiment e = Experiment.newBuilder().setCommit("e16e6e68e09d7325ed18e6cdc17c771f2130b810").setParent("p".repeat(40))
                .setDirection("d").setProposer(proposer.publicId().toByteString()).build();
        ExperimentReport.Builder report = ExperimentReport.newBuilder().setExperiment(Envelopes.sign(proposer, e))
                .setDecided(true).setValid(true).setHasMetric(true).setMetric(2.25).setMetricName("val_bpb")
                .setHardwareClass("cpu:x").setReplicas(3);
        for (long seed = 42; seed < 45; seed++) {
            Identity runner = Identity.generate();
            report.addResults(Envelopes.sign(runner, Result.newBuilder().setCommit(e.getCommit())
                    .setStatus(Result.Status.OK).setHardwareClass("cpu:x").setRandomSeed(seed)
                    .setRunner(runner.publicId().toByteString()).build()));
        }
        assertThat(Outcome.text(e.getCommit(), report.build()))
                .startsWith("e16e6e68e0: decided, val_bpb 2.250000, the mean of 3 OK result(s) at 3 seed(s) on cpu:x;")
                .doesNotContain("replica");
    }
}
