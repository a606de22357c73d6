package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a person or agent watching `wait` (or `submit --wait`) reads on standard error while an
 * evaluation takes its minutes: a line when anything changes, a "still waiting" line once a minute
 * while nothing does (it had no test: the minute was a constant), and the results by status, since
 * "1 result(s)" hid for the rest of a ten-minute wait that the first replica had timed out.
 */
class WaitProgressTest {
    private static final String COMMIT = "e16e6e68e09d7325ed18e6cdc17c771f2130b810";
    private static final long SECOND = 1_000_000_000L;

    @Test
    void saysEachChangeAndOnceAMinuteThatItIsStillWaitingUntilDecidedOrOutOfTime() {
        WaitProgress progress = new WaitProgress(COMMIT, 0, Duration.ofMinutes(5), WaitProgress.STILL_WAITING);
        ExperimentReport pending = ExperimentReport.newBuilder().setPendingUnits(3).build();
        List<String> lines = new ArrayList<>();
        for (long s = 0; s <= 150; s += 5) {  // a poll every 5 s, nothing changing for two and a half minutes
            progress.line(pending, s * SECOND).ifPresent(lines::add);
        }
        assertThat(lines).containsExactly(
                "waiting for e16e6e68e0: 0 result(s), 3 evaluation(s) pending (0 with a runner, 3 queued)",
                "still waiting for e16e6e68e0 after 60 s: 0 result(s), 3 evaluation(s) pending (0 with a runner, 3 queued) (up to 240 s more;"
                        + " Ctrl-C stops waiting, not the experiment)",
                "still waiting for e16e6e68e0 after 120 s: 0 result(s), 3 evaluation(s) pending (0 with a runner, 3 queued) (up to 180 s more;"
                        + " Ctrl-C stops waiting, not the experiment)");

        // a change is said at once, and the minute counts again from it
        ExperimentReport oneIn = pending.toBuilder().setPendingUnits(2).setLeasedUnits(1).addResults(result(Result.Status.TIMEOUT)).build();
        assertThat(progress.line(oneIn, 151 * SECOND)).hasValue(
                "waiting for e16e6e68e0: 1 result(s) (1 TIMEOUT), 2 evaluation(s) pending (1 with a runner, 1 queued)");
        assertThat(progress.line(oneIn, 200 * SECOND)).isEmpty();
        assertThat(progress.line(oneIn, 211 * SECOND)).get().asString().startsWith("still waiting for e16e6e68e0 after 211 s");

        // past the deadline, or once decided, no "still waiting": the wait is over
        assertThat(progress.line(oneIn, 300 * SECOND)).isEmpty();
        WaitProgress decided = new WaitProgress(COMMIT, 0, Duration.ofMinutes(5), WaitProgress.STILL_WAITING);
        ExperimentReport done = oneIn.toBuilder().setPendingUnits(0).setLeasedUnits(0).setDecided(true).build();
        assertThat(decided.line(done, 0)).isPresent();
        assertThat(decided.line(done, 90 * SECOND)).isEmpty();
    }

    @Test
    void theIntervalIsTheCallersAndResultsAreCountedByStatusWithTheMetric() {
        WaitProgress progress = new WaitProgress(COMMIT, 0, Duration.ofMinutes(1), Duration.ofSeconds(10));
        ExperimentReport mixed = ExperimentReport.newBuilder().setPendingUnits(1).setHasMetric(true).setMetric(1.75)
                .setMetricName("val_bpb").addResults(result(Result.Status.OK)).addResults(result(Result.Status.CRASH))
                .addResults(result(Result.Status.OK)).build();
        assertThat(progress.line(mixed, 0)).hasValue(
                "waiting for e16e6e68e0: 3 result(s) (1 CRASH, 2 OK), 1 evaluation(s) pending (0 with a runner, 1 queued), val_bpb 1.750000");
        assertThat(progress.line(mixed, 9 * SECOND)).isEmpty();
        assertThat(progress.line(mixed, 10 * SECOND)).get().asString().startsWith("still waiting for e16e6e68e0 after 10 s");
    }

    @Test
    void aCandidateConfirmingWithNothingPendingOnItsOwnCommitSaysWhatItWaitsFor() {
        WaitProgress progress = new WaitProgress(COMMIT, 0, Duration.ofMinutes(5), WaitProgress.STILL_WAITING);
        ExperimentReport confirming = ExperimentReport.newBuilder().setPendingUnits(0).addResults(result(Result.Status.OK))
                .setConfirmation(Confirmation.newBuilder().setState(Confirmation.State.CONFIRMING)
                        .setFrontier("ab12cd34ef".repeat(4)).addRandomSeeds(7).addRandomSeeds(9))
                .build();
        assertThat(progress.line(confirming, 0)).hasValue("waiting for e16e6e68e0: 1 result(s) (1 OK), 0 evaluation(s) pending;"
                + " passed at the trial seeds, confirming at fresh seeds [7, 9] against the frontier ab12cd34ef"
                + " (its runs and the frontier's there decide)");
        ExperimentReport refused = confirming.toBuilder()
                .setConfirmation(confirming.getConfirmation().toBuilder().setState(Confirmation.State.REFUSED)).build();
        assertThat(progress.line(refused, SECOND)).get().asString().doesNotContain("confirming");
    }

    static dev.rhizome.proto.v1.SignedEnvelope result(Result.Status status) {
        Identity runner = Identity.generate();
        return Envelopes.sign(runner, Result.newBuilder().setCommit(COMMIT).setStatus(status)
                .setRunner(runner.publicId().toByteString())
                .setReason(status == Result.Status.OK ? "" : "prepare timed out").build());
    }
}
