package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Why a decided experiment measured nothing, as the key an agent branches on, for each way it
 * happens; and that a measured one, or one still queued, is offered no retry.
 */
class NoResultRetryTest {
    private static final Identity PROPOSER = Identity.generate();
    private static final Identity RUNNER = Identity.generate();
    private static final Experiment E = Experiment.newBuilder().setCommit("c".repeat(40)).setParent("a".repeat(40))
            .setDirection("lr warm").setProposer(PROPOSER.publicId().toByteString()).build();
    private static final FollowUp WHERE = new FollowUp("http://127.0.0.1:7000", Path.of("/tmp/agent"));

    private static ExperimentReport decided(Result.Status... statuses) {
        ExperimentReport.Builder r = ExperimentReport.newBuilder().setExperiment(Envelopes.sign(PROPOSER, E)).setDecided(true);
        for (Result.Status s : statuses) {
            r.addResults(Envelopes.sign(RUNNER, Result.newBuilder().setCommit(E.getCommit()).setStatus(s)
                    .setReason("why " + s).setRunner(RUNNER.publicId().toByteString()).build()));
        }
        return r.build();
    }

    private static String reason(ExperimentReport r) {
        return NoResultRetry.of(E.getCommit(), r, WHERE).map(NoResultRetry::reason).orElse(null);
    }

    @Test
    void eachWayOfMeasuringNothingHasItsReason() {
        assertThat(reason(decided(Result.Status.CRASH, Result.Status.CRASH))).isEqualTo("crashed");
        assertThat(reason(decided(Result.Status.TIMEOUT))).isEqualTo("timed_out");
        // a refusal is the change itself: it says so first, whatever else came back
        assertThat(reason(decided(Result.Status.TIMEOUT, Result.Status.REFUSED, Result.Status.CRASH))).isEqualTo("refused");
        assertThat(reason(decided(Result.Status.CRASH, Result.Status.TIMEOUT))).isEqualTo("crashed");
        assertThat(reason(decided(Result.Status.UNFETCHABLE).toBuilder().setGivenUp("no peer served it").build()))
                .isEqualTo("not_fetched");
        assertThat(reason(decided())).isEqualTo("no_ok_result");
    }

    @Test
    void theClaimStartsFromTheParentAndTheJsonOffersItInsteadOfAPaper() {
        ExperimentReport crashed = decided(Result.Status.CRASH);
        NoResultRetry retry = NoResultRetry.of(E.getCommit(), crashed, WHERE).orElseThrow();
        assertThat(retry.command()).startsWith("rhizome claim --direction 'lr warm' --from aaaaaaaaaa --workspace ")
                .contains("/fix-cccccccccc")
                .endsWith(" --data-dir /tmp/agent --coordinator http://127.0.0.1:7000");
        assertThat(retry.line()).contains("its runs crashed", "rhizome results --commit cccccccccc", retry.command());

        JsonObject o = new JsonObject();
        OutcomeNextSteps.addTo(o, E.getCommit(), crashed, Optional.empty(), WHERE);
        assertThat(o.get("publish_command").isJsonNull()).isTrue();
        assertThat(o.get("retry_reason").getAsString()).isEqualTo("crashed");
        assertThat(o.get("retry_command").getAsString()).isEqualTo(retry.command());
        assertThat(OutcomeNextSteps.line(E.getCommit(), crashed, Optional.empty(), WHERE)).contains(retry.line());
    }

    @Test
    void aMeasuredOrUndecidedExperimentIsOfferedNoRetry() {
        ExperimentReport measured = decided(Result.Status.OK).toBuilder().setHasMetric(true).setMetric(1.5).build();
        JsonObject o = new JsonObject();
        OutcomeNextSteps.addTo(o, E.getCommit(), measured, Optional.empty(), WHERE);
        assertThat(o.get("retry_reason").isJsonNull()).isTrue();
        assertThat(o.get("retry_command").isJsonNull()).isTrue();
        assertThat(o.get("publish_command").getAsString()).startsWith("rhizome publish --paper FINDING.md --commit cccccccccc");

        ExperimentReport queued = decided().toBuilder().setDecided(false).build();
        assertThat(NoResultRetry.of(E.getCommit(), queued, WHERE)).isEmpty();
        OutcomeNextSteps.addTo(o, E.getCommit(), queued, Optional.of("no node"), WHERE);
        assertThat(o.get("retry_command").isJsonNull()).isTrue();
        assertThat(o.get("publish_command").isJsonNull()).isTrue();
    }
    /**
     * A proposer whose commits crashed 3 or more times, outnumbering its OK results, is refused new
     * experiments for a while (the coordinator's ProposerThrottle, which the report carries as
     * proposer_refused_for_ms): the retry says when its submit can go through, in keys and words.
     */
    @Test
    void aThrottledProposersRetrySaysWhenItsSubmitGoesThrough() {
        ExperimentReport throttled = decided(Result.Status.CRASH).toBuilder().setProposerRefusedForMs(539_001).build();
        long before = System.currentTimeMillis();
        JsonObject o = new JsonObject();
        OutcomeNextSteps.addTo(o, E.getCommit(), throttled, Optional.empty(), WHERE);
        long after = System.currentTimeMillis();
        assertThat(o.get("retry_after_s").getAsLong()).isEqualTo(540);
        assertThat(o.get("retry_not_before_ms").getAsLong()).isBetween(before + 539_001, after + 539_001);
        assertThat(NoResultRetry.of(E.getCommit(), throttled, WHERE).orElseThrow().line())
                .contains("takes no new experiment from its key for 540 s more (until ")
                .contains("the claim runs now, its submit goes through after that");

        JsonObject free = new JsonObject();
        OutcomeNextSteps.addTo(free, E.getCommit(), decided(Result.Status.CRASH), Optional.empty(), WHERE);
        assertThat(free.get("retry_after_s").getAsLong()).as("not throttled: at once").isZero();
        assertThat(NoResultRetry.of(E.getCommit(), decided(Result.Status.CRASH), WHERE).orElseThrow().line())
                .doesNotContain("s more");

        JsonObject measured = new JsonObject();
        OutcomeNextSteps.addTo(measured, E.getCommit(), decided(Result.Status.OK).toBuilder().setHasMetric(true)
                .setMetric(1).setProposerRefusedForMs(1_000).build(), Optional.empty(), WHERE);
        assertThat(measured.get("retry_after_s").isJsonNull()).as("no retry, no wait for one").isTrue();
        assertThat(measured.get("retry_not_before_ms").isJsonNull()).isTrue();
    }

    /**
     * The throttle the report carries is its proposer's: another key's retry of the same commit is
     * its own experiment and goes through at once as far as that throttle goes (`wait` on someone
     * else's crash told the waiter to hold off for the proposer's cool-down).
     */
    @Test
    void anotherKeysRetryIsNotHeldToTheProposersThrottle() {
        ExperimentReport throttled = decided(Result.Status.CRASH).toBuilder().setProposerRefusedForMs(539_001).build();
        assertThat(NoResultRetry.seenBy(throttled, PROPOSER.publicId().toByteString())).isEqualTo(throttled);

        ExperimentReport theirs = NoResultRetry.seenBy(throttled, Identity.generate().publicId().toByteString());
        JsonObject o = new JsonObject();
        OutcomeNextSteps.addTo(o, E.getCommit(), theirs, Optional.empty(), WHERE);
        assertThat(o.get("retry_reason").getAsString()).isEqualTo("crashed");
        assertThat(o.get("retry_after_s").getAsLong()).isZero();
        assertThat(NoResultRetry.of(E.getCommit(), theirs, WHERE).orElseThrow().line()).doesNotContain("s more");
        assertThat(theirs.getResultsList()).isEqualTo(throttled.getResultsList());
    }
}
