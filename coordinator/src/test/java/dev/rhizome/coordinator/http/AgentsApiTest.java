package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.ExperimentReportList;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What agents rely on from the coordinator: fair claims with reasons, branching, honest leases, reports. */
class AgentsApiTest {
    @TempDir
    Path dataDir;

    private Harness h;
    private final Identity agent = Identity.generate();
    private final Identity explorer = Identity.generate();
    private final Identity runner = Identity.generate();

    @BeforeEach
    void start() throws Exception {
        h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection();
        // Measure the base so the direction has a frontier metric.
        WorkUnit baseline = h.claimEvaluation(runner, h.seedCommit);
        h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, baseline, 3.0, h.clock.millis())).ack();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private ApiClient.Response claim(Identity node, ClaimRequest.Builder b) {
        return h.api.signAndPost("/v1/claim", node, b.setNode(node.publicId().toByteString()).setHardwareClass("cpu")
                .addKinds(WorkUnit.Kind.EXPLORE).setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).build());
    }

    private ClaimResponse claimed(Identity node, ClaimRequest.Builder b) {
        ApiClient.Response r = claim(node, b);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.parse(ClaimResponse.newBuilder()).build();
    }

    private String register(Identity proposer, WorkUnit unit, String parent, String secondParent, String description) {
        String commit = Fixtures.commit();
        Experiment.Builder e = Fixtures.experiment(proposer, Harness.SEED, Harness.DIRECTION, commit, parent,
                h.clock.millis()).toBuilder().setWorkUnitId(unit.getId()).setDescription(description);
        if (secondParent != null) {
            e.setSecondParent(secondParent);
        }
        h.api.signAndPost("/v1/experiments", proposer, e.build()).ack();
        return commit;
    }

    @Test
    void anUnknownDirectionIsAnErrorNotAnEmptyAnswer() {
        ApiClient.Response r = claim(agent, ClaimRequest.newBuilder().setDirection("lr-sweeep"));
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.error().getCode()).isEqualTo(Error.Code.NOT_FOUND);
        assertThat(r.error().getMessage()).contains("unknown direction lr-sweeep");
    }

    @Test
    void theExplorerFillingItsShareLeavesRoomForAgentsAndEmptyClaimsSayWhy() {
        for (int i = 0; i < 2; i++) {
            Identity e = Identity.generate();
            assertThat(claimed(e, ClaimRequest.newBuilder().setBuiltinExplorer(true).setDirection(Harness.DIRECTION))
                    .hasUnit()).isTrue();
        }
        ClaimResponse refused = claimed(explorer, ClaimRequest.newBuilder().setBuiltinExplorer(true)
                .setDirection(Harness.DIRECTION));
        assertThat(refused.hasUnit()).isFalse();
        assertThat(refused.getReason()).contains(Harness.DIRECTION).contains("built-in explorers");
        assertThat(refused.getRetryAfterS()).isPositive();

        ClaimResponse mine = claimed(agent, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION));
        assertThat(mine.hasUnit()).as("an agent still gets work").isTrue();
        assertThat(mine.getUnit().getCommit()).isEqualTo(h.seedCommit);
    }

    @Test
    void branchesFromAnyRegisteredCommitOfTheDirectionAndRefusesOthers() {
        WorkUnit first = claimed(agent, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)).getUnit();
        String a = register(agent, first, h.seedCommit, null, "raise the learning rate");
        ApiClient.Response unknown = claim(agent, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)
                .setFromCommit(Fixtures.commit()));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error().getMessage()).contains("not the base or a registered experiment");

        WorkUnit branch = claimed(agent, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION).setFromCommit(a))
                .getUnit();
        assertThat(branch.getCommit()).isEqualTo(a);
    }

    @Test
    void anExperimentOnAnExpiredLeaseIsRefused() {
        WorkUnit unit = claimed(agent, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)).getUnit();
        h.clock.advance(Duration.ofMillis(unit.getLeaseDeadlineMs() - h.clock.millis() + 1000));
        Experiment late = Fixtures.experiment(agent, Harness.SEED, Harness.DIRECTION, Fixtures.commit(), h.seedCommit,
                h.clock.millis()).toBuilder().setWorkUnitId(unit.getId()).build();
        ApiClient.Response r = h.api.signAndPost("/v1/experiments", agent, late);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.error().getCode()).isEqualTo(Error.Code.LEASE_EXPIRED);
        assertThat(r.error().getMessage()).contains(unit.getId()).contains("claim again");
    }

    @Test
    void anExperimentOrRenewalOnAUnitGivenBackIsRefusedAsClosedNotExpired() {
        // it was LEASE_EXPIRED, "the lease ... ended at <a time still ahead> (0 s ago)": the agent
        // that gave the unit back (or submitted on it already) was told its lease had run out
        WorkUnit unit = claimed(agent, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)).getUnit();
        ApiClient.Response done = h.api.signAndPost("/v1/explore-done", agent, ExploreDone.newBuilder()
                .setWorkUnitId(unit.getId()).setNode(agent.publicId().toByteString()).setTimeMs(h.clock.millis()).build());
        assertThat(done.status()).isEqualTo(200);

        Experiment after = Fixtures.experiment(agent, Harness.SEED, Harness.DIRECTION, Fixtures.commit(), h.seedCommit,
                h.clock.millis()).toBuilder().setWorkUnitId(unit.getId()).build();
        ApiClient.Response r = h.api.signAndPost("/v1/experiments", agent, after);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.error().getCode()).isEqualTo(Error.Code.UNIT_CLOSED);
        assertThat(r.error().getMessage()).contains(unit.getId()).contains("given back").contains("claim again")
                .doesNotContain("ended at");
        ApiClient.Response renewed = h.api.signAndPost("/v1/leases/renew", agent, LeaseRenewal.newBuilder()
                .setWorkUnitId(unit.getId()).setNode(agent.publicId().toByteString()).setTimeMs(h.clock.millis()).build());
        assertThat(renewed.error().getCode()).isEqualTo(Error.Code.UNIT_CLOSED);

        // a lease that ran out is still told as such
        WorkUnit late = claimed(agent, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)).getUnit();
        h.clock.advance(Duration.ofMillis(late.getLeaseDeadlineMs() - h.clock.millis() + 1000));
        ApiClient.Response expired = h.api.signAndPost("/v1/experiments", agent, after.toBuilder()
                .setWorkUnitId(late.getId()).setCreatedMs(h.clock.millis()).build());
        assertThat(expired.error().getCode()).isEqualTo(Error.Code.LEASE_EXPIRED);
    }

    @Test
    void severalReportsAreOneAnswerInTheOrderAskedWithTheUnknownNamed() {
        WorkUnit unit = claimed(agent, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)).getUnit();
        String a = register(agent, unit, h.seedCommit, null, "a");
        String b = register(agent, unit, h.seedCommit, null, "b");
        String unknown = Fixtures.commit();
        ExperimentReportList both = h.api.get("/v1/experiment-reports?commits=" + b + "," + unknown + "," + a + "," + b,
                ExperimentReportList.newBuilder()).build();
        // each as GET /v1/experiment answers it alone, once, in the order asked; the unknown named, not a 404
        assertThat(both.getReportsList()).containsExactly(
                h.api.get("/v1/experiment?commit=" + b, ExperimentReport.newBuilder()).build(),
                h.api.get("/v1/experiment?commit=" + a, ExperimentReport.newBuilder()).build());
        assertThat(both.getUnknownList()).containsExactly(unknown);
        assertThat(both.getLeftOutList()).isEmpty();

        ApiClient.Response tooMany = h.api.get("/v1/experiment-reports?commits="
                + String.join(",", java.util.Collections.nCopies(21, a)));
        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.error().getMessage()).contains("names 21 commits, at most 20");
        ApiClient.Response bad = h.api.get("/v1/experiment-reports?commits=" + a + ",HEAD");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.error().getMessage()).contains("query parameter commits must be 40-hex-digit commit ids separated by commas; id 2 of 2 is 'HEAD'");
        ApiClient.Response none = h.api.get("/v1/experiment-reports");
        assertThat(none.status()).isEqualTo(400);
        assertThat(none.error().getMessage()).contains("query parameter commits is required");
    }

    @Test
    void aMergeRecordsBothParentsWhichMustBeRegistered() {
        WorkUnit unit = claimed(agent, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)).getUnit();
        String a = register(agent, unit, h.seedCommit, null, "a");
        String b = register(agent, unit, h.seedCommit, null, "b");
        String merge = register(agent, unit, a, b, "merge a and b");
        ExperimentReport report = h.api.get("/v1/experiment?commit=" + merge, ExperimentReport.newBuilder()).build();
        Experiment stored = parse(report);
        assertThat(stored.getParent()).isEqualTo(a);
        assertThat(stored.getSecondParent()).isEqualTo(b);

        Experiment orphan = Fixtures.experiment(agent, Harness.SEED, Harness.DIRECTION, Fixtures.commit(), a,
                h.clock.millis()).toBuilder().setSecondParent(Fixtures.commit()).build();
        ApiClient.Response r = h.api.signAndPost("/v1/experiments", agent, orphan);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.error().getMessage()).contains("second parent");
    }

    private static Experiment parse(ExperimentReport report) {
        try {
            return Experiment.parseFrom(report.getExperiment().getPayload());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aHypothesisLikeRecentWorkOnTheDirectionGetsAWarning() {
        WorkUnit unit = claimed(agent, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)
                .setHypothesis("lower the learning rate to 0.002 with warmup")).getUnit();
        String commit = register(agent, unit, h.seedCommit, null, "cosine schedule for the learning rate");
        ClaimResponse second = claimed(Identity.generate(), ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)
                .setHypothesis("Lower the learning rate to 0.002, with warmup."));
        assertThat(second.getSimilarList()).hasSize(1);
        assertThat(second.getSimilar(0).getKind()).isEqualTo("hypothesis");
        assertThat(second.getSimilar(0).getSimilarity()).isGreaterThanOrEqualTo(0.99);

        ClaimResponse third = claimed(Identity.generate(), ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)
                .setHypothesis("use a cosine learning rate schedule"));
        assertThat(third.getSimilarList()).extracting(s -> s.getCommit()).containsExactly(commit);
        ClaimResponse unrelated = claimed(Identity.generate(), ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)
                .setHypothesis("double the embedding width"));
        assertThat(unrelated.getSimilarList()).isEmpty();
    }

    @Test
    void anExperimentReportSaysWhenItIsDecidedWithDeltasAdoptionResultsAndPapers() {
        WorkUnit unit = claimed(agent, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)).getUnit();
        String commit = register(agent, unit, h.seedCommit, null, "better");
        Paper paper = Paper.newBuilder().setDirection(Harness.DIRECTION).setTitle("better").setBodyMarkdown("it is")
                .addCommits(commit).setAuthor(agent.publicId().toByteString()).setCreatedMs(h.clock.millis()).build();
        String paperId = h.api.signAndPost("/v1/papers", agent, paper).ack().getId();

        ExperimentReport pending = h.api.get("/v1/experiment?commit=" + commit, ExperimentReport.newBuilder()).build();
        assertThat(pending.getDecided()).isFalse();
        assertThat(pending.getPendingUnits()).isEqualTo(1);

        WorkUnit evaluation = h.claimEvaluation(runner, commit);
        h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, evaluation, 2.5, h.clock.millis())).ack();
        ExperimentReport done = h.api.get("/v1/experiment?commit=" + commit, ExperimentReport.newBuilder()).build();
        assertThat(done.getDecided()).isTrue();
        assertThat(done.getValid()).isTrue();
        assertThat(done.getMetric()).isEqualTo(2.5);
        assertThat(done.getParentMetric()).isEqualTo(3.0);
        assertThat(done.getAdopted()).isTrue();
        assertThat(done.getFrontierCommit()).isEqualTo(commit);
        assertThat(done.getResultsCount()).isEqualTo(1);
        assertThat(done.getPapersCount()).isEqualTo(1);

        Paper citing = paper.toBuilder().setTitle("builds on it").addCites(paperId).build();
        h.api.signAndPost("/v1/papers", agent, citing).ack();
        ApiClient.Response bad = h.api.signAndPost("/v1/papers", agent,
                paper.toBuilder().setTitle("cites nothing real").addCites("ab".repeat(32)).build());
        assertThat(bad.status()).isEqualTo(404);
        assertThat(h.api.get("/v1/experiment?commit=" + Fixtures.commit()).status()).isEqualTo(404);
    }
}
