package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.AttemptCap;
import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Volunteer;
import dev.rhizome.proto.v1.VolunteerList;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A proposer registers commits that no node can fetch (it never serves them). Runners report them
 * UNFETCHABLE, or let the lease run out; after {@link AttemptCap#MAX_FAILED_ATTEMPTS} failed
 * attempts each experiment is given up, the direction's evaluation queue drains so exploration
 * goes on, and the proposer is throttled as one whose code crashes.
 */
class UnfetchableCommitsTest {
    /** Manifest timeout 60 s: a lease lasts 150 s. */
    private static final Duration LEASE = Duration.ofSeconds(150);

    @TempDir
    Path dataDir;

    private Harness h;
    private final Identity proposer = Identity.generate();
    private final List<Identity> runners = List.of(Identity.generate(), Identity.generate(), Identity.generate());

    @BeforeEach
    void start() throws Exception {
        h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.PROTOBUF).withSeedAndDirection();
    }

    private void measureBase() {
        Identity baseRunner = Identity.generate();
        WorkUnit base = h.claimEvaluation(baseRunner, h.seedCommit);
        h.api.signAndPost("/v1/results", baseRunner, Fixtures.result(baseRunner, base, 3.0, h.clock.millis())).ack();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void unfetchableExperimentsAreGivenUpAndExplorationOfTheDirectionGoesOn() {
        measureBase();
        List<String> ghosts = new ArrayList<>();
        for (int i = 0; i < ClaimPolicy.MAX_PENDING_EVALUATIONS; i++) {
            String commit = Fixtures.commit();
            h.api.signAndPost("/v1/experiments", proposer,
                    Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
            ghosts.add(commit);
        }
        assertThat(explore().hasUnit()).as("a full queue of evaluations holds the explorer back").isFalse();

        // Two rounds of UNFETCHABLE reports: each unit is reissued to another runner.
        for (Identity runner : runners.subList(0, 2)) {
            for (String ghost : ghosts) {
                WorkUnit unit = h.claimEvaluation(runner, ghost);
                String ack = h.api.signAndPost("/v1/results", runner, unfetchable(runner, unit)).ack().getMessage();
                assertThat(ack).contains("reissued");
                assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.OPEN);
            }
        }
        assertThat(explore().hasUnit()).as("not yet given up").isFalse();

        // The third attempt fails too: three by report, the last one by an expired lease.
        Identity third = runners.get(2);
        List<WorkUnit> last = new ArrayList<>();
        for (String ghost : ghosts) {
            last.add(h.claimEvaluation(third, ghost));
        }
        for (WorkUnit unit : last.subList(0, last.size() - 1)) {
            String ack = h.api.signAndPost("/v1/results", third, unfetchable(third, unit)).ack().getMessage();
            assertThat(ack).contains("given up").contains("3 failed attempts");
        }
        h.clock.advance(LEASE.plusMillis(1));

        ClaimResponse next = explore();
        assertThat(next.hasUnit()).as("exploration goes on: %s", next.getReason()).isTrue();
        assertThat(next.getUnit().getKind()).isEqualTo(WorkUnit.Kind.EXPLORE);
        assertThat(h.units("OPEN").getUnitsList()).as("nothing left to reissue").isEmpty();
        for (WorkUnit unit : last) {
            UnitStatus status = h.unit(unit.getId());
            assertThat(status.getState()).isEqualTo(UnitStatus.State.DONE);
            assertThat(status.getGivenUp()).contains("given up after 3 failed attempts");
        }
        WorkUnit expired = last.get(last.size() - 1);
        assertThat(h.unit(expired.getId()).getGivenUp()).contains("2 unfetchable report(s), 1 expired lease(s)");

        for (String ghost : ghosts) {
            ExperimentReport report = h.api.get("/v1/experiment?commit=" + ghost, ExperimentReport.newBuilder())
                    .build();
            assertThat(report.getDecided()).isTrue();
            assertThat(report.getPendingUnits()).isZero();
            assertThat(report.getValid()).isFalse();
            assertThat(report.getGivenUp()).contains("failed attempts");
            assertThat(h.api.get("/v1/trials?commit=" + ghost, TrialList.newBuilder()).getTrialsList())
                    .as("unfetchable reports never count as replicas")
                    .allSatisfy(t -> assertThat(t.getState()).isNotEqualTo(ResultVerdict.State.VALID));
        }

        var refused = h.api.signAndPost("/v1/experiments", proposer, Fixtures.experiment(proposer, SEED, DIRECTION,
                Fixtures.commit(), h.seedCommit, h.clock.millis()));
        assertThat(refused.status()).as("the proposer of unfetchable commits is throttled").isEqualTo(403);
        assertThat(refused.error().getMessage()).contains("proposer throttled").contains("unfetchable");
        // each of its reports says how long that lasts (what a client's retry of it has to wait), as the refusal does
        long refusedFor = h.api.get("/v1/experiment?commit=" + ghosts.get(0), ExperimentReport.newBuilder()).build()
                .getProposerRefusedForMs();
        assertThat(refusedFor).isPositive().isLessThanOrEqualTo(ProposerThrottle.COOL_DOWN.toMillis());
        assertThat(refused.error().getMessage()).contains("(" + (refusedFor + 999) / 1000 + " s from now)");
        h.clock.advance(Duration.ofMillis(refusedFor));
        assertThat(h.api.get("/v1/experiment?commit=" + ghosts.get(0), ExperimentReport.newBuilder()).build()
                .getProposerRefusedForMs()).as("the wait over").isZero();
        h.api.signAndPost("/v1/experiments", proposer, Fixtures.experiment(proposer, SEED, DIRECTION,
                Fixtures.commit(), h.seedCommit, h.clock.millis())).ack();
        Identity honest = Identity.generate();
        h.api.signAndPost("/v1/experiments", honest, Fixtures.experiment(honest, SEED, DIRECTION, Fixtures.commit(),
                h.seedCommit, h.clock.millis())).ack();
    }

    @Test
    void oneKeyLettingItsLeasesRunOutCannotGetAnHonestExperimentGivenUp() {
        measureBase();
        List<Identity> honest = List.of(Identity.generate(), Identity.generate());
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
        Identity hostile = Identity.generate();
        String unitId = null;
        for (int round = 1; round <= AttemptCap.MAX_FAILED_ATTEMPTS + 2; round++) {
            honest.forEach(this::announce);  // the honest nodes are running, and say so every 10 s
            WorkUnit unit = h.claimEvaluation(hostile, commit);
            unitId = unitId == null ? unit.getId() : unitId;
            assertThat(unit.getId()).isEqualTo(unitId);
            h.clock.advance(LEASE.plusMillis(1));
            assertThat(h.api.claim(hostile, WorkUnit.Kind.EVALUATE))
                    .as("round %d: the key that let it run out does not get it straight back", round).isNull();
            UnitStatus status = h.unit(unitId);
            assertThat(status.getState()).as("round %d", round).isEqualTo(UnitStatus.State.OPEN);
            assertThat(status.getGivenUp()).isEmpty();
            h.clock.advance(Duration.ofSeconds(31));
        }
        Volunteer standing = h.api.get("/v1/volunteers", VolunteerList.newBuilder()).getVolunteersList().stream()
                .filter(v -> v.getKey().equals(hostile.publicId().toByteString())).findFirst().orElseThrow();
        assertThat(standing.getDailyQuota()).as("each expired lease halved its quota")
                .isEqualTo(Math.max(Reputation.MIN_QUOTA, Reputation.INITIAL_QUOTA >> (AttemptCap.MAX_FAILED_ATTEMPTS + 2)));
        assertThat(standing.getErrors()).isEqualTo(AttemptCap.MAX_FAILED_ATTEMPTS + 2);

        Identity runner = honest.get(0);
        WorkUnit unit = h.claimEvaluation(runner, commit);
        assertThat(unit.getId()).isEqualTo(unitId);
        assertThat(h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, 2.9, h.clock.millis()))
                .ack().getMessage()).contains("result recorded");
        ExperimentReport report = h.api.get("/v1/experiment?commit=" + commit, ExperimentReport.newBuilder()).build();
        assertThat(report.getGivenUp()).isEmpty();
    }

    @Test
    void freshKeysCannotGetAnExperimentGivenUpWhileRunnersWithStandingRun() {
        // a runner with standing: it measured the direction's base, and its result is valid
        Identity established = Identity.generate();
        WorkUnit base = h.claimEvaluation(established, h.seedCommit);
        h.api.signAndPost("/v1/results", established, Fixtures.result(established, base, 3.0, h.clock.millis())).ack();
        Volunteer record = h.api.get("/v1/volunteers", VolunteerList.newBuilder()).getVolunteersList().stream()
                .filter(v -> v.getKey().equals(established.publicId().toByteString())).findFirst().orElseThrow();
        assertThat(record.getValid()).isPositive();
        announce(established);

        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
        String unitId = null;
        for (Identity sybil : runners) {  // three fresh keys, one person
            announce(sybil);
            WorkUnit unit = h.claimEvaluation(sybil, commit);
            unitId = unit.getId();
            assertThat(h.api.signAndPost("/v1/results", sybil, unfetchable(sybil, unit)).ack().getMessage())
                    .contains("reissued");
        }
        UnitStatus status = h.unit(unitId);
        assertThat(status.getState()).as("three fresh keys are not enough").isEqualTo(UnitStatus.State.OPEN);
        assertThat(status.getGivenUp()).isEmpty();

        // the runner with standing fails it too: now it is given up
        WorkUnit unit = h.claimEvaluation(established, commit);
        assertThat(h.api.signAndPost("/v1/results", established, unfetchable(established, unit)).ack().getMessage())
                .contains("given up").contains("1 of them with standing");
    }

    @Test
    void aLoneNodeStillGivesAnUnfetchableCommitUpAfterThreeExpiredLeases() {
        measureBase();
        String ghost = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, ghost, h.seedCommit, h.clock.millis())).ack();
        Identity only = runners.get(0);
        String unitId = null;
        for (int round = 1; round <= AttemptCap.MAX_FAILED_ATTEMPTS; round++) {
            announce(only);
            WorkUnit unit = h.claimEvaluation(only, ghost);
            unitId = unit.getId();
            h.clock.advance(LEASE.plusMillis(1).plusSeconds(31));
        }
        h.api.claim(only, WorkUnit.Kind.EVALUATE);  // a claim ends run-out leases, like the sweep
        UnitStatus status = h.unit(unitId);
        assertThat(status.getState()).isEqualTo(UnitStatus.State.DONE);
        assertThat(status.getGivenUp()).contains("3 failed attempts from 1 key(s)");
    }

    private void announce(Identity node) {
        h.api.signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("127.0.0.1").setPort(7000)
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build()).ack();
    }

    @Test
    void aRunnerCannotReportTheSameUnitUnfetchableTwice() {
        measureBase();
        String ghost = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, ghost, h.seedCommit, h.clock.millis())).ack();
        Identity runner = runners.get(0);
        WorkUnit unit = h.claimEvaluation(runner, ghost);
        h.api.signAndPost("/v1/results", runner, unfetchable(runner, unit)).ack();
        assertThat(h.api.claim(runner, WorkUnit.Kind.EVALUATE)).as("not reissued to the runner that reported it")
                .isNull();
        Result again = unfetchable(runner, unit).toBuilder().setTimeMs(h.clock.millis() + 1).build();
        assertThat(h.api.signAndPost("/v1/results", runner, again).status()).isEqualTo(409);
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.OPEN);
    }

    @Test
    void theDirectionsBaseIsReissuedHoweverOftenItFails() {
        WorkUnit first = null;
        for (int i = 0; i <= AttemptCap.MAX_FAILED_ATTEMPTS; i++) {
            Identity runner = Identity.generate();
            WorkUnit unit = h.claimEvaluation(runner, h.seedCommit);
            first = first == null ? unit : first;
            assertThat(unit.getId()).isEqualTo(first.getId());
            if (i % 2 == 0) {
                h.clock.advance(LEASE.plusMillis(1));
            } else {
                assertThat(h.api.signAndPost("/v1/results", runner, unfetchable(runner, unit)).ack().getMessage())
                        .contains("reissued");
            }
        }
        Identity last = Identity.generate();
        WorkUnit again = h.claimEvaluation(last, h.seedCommit);
        assertThat(again.getId()).as("without its base no candidate could be compared").isEqualTo(first.getId());
        assertThat(h.unit(again.getId()).getGivenUp()).isEmpty();
    }

    /**
     * A node that cannot fetch an exploration's base gives the unit back at once, saying why: the
     * direction's exploration place it held is free for another node now, not at the lease's end.
     */
    @Test
    void anExplorationGivenBackUnexploredFreesItsPlaceAtOnce() {
        measureBase();
        Identity stuck = Identity.generate();
        List<WorkUnit> held = new ArrayList<>();
        for (int i = 0; i < ClaimPolicy.EXPLORER_EXPLORATIONS; i++) {
            held.add(explore(i == 0 ? stuck : Identity.generate()).getUnit());
        }
        assertThat(explore(Identity.generate()).hasUnit()).as("every exploration place is held").isFalse();
        WorkUnit unit = held.get(0);
        ExploreDone.Builder giveBack = ExploreDone.newBuilder().setWorkUnitId(unit.getId())
                .setNode(stuck.publicId().toByteString()).setReason("cannot fetch base commit " + unit.getCommit()
                        + ": 127.0.0.1:1 refused").setTimeMs(h.clock.millis());

        ApiClient.Response both = h.api.signAndPost("/v1/explore-done", stuck,
                giveBack.clone().addCommits(Fixtures.commit()).build());
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.error().getMessage()).contains("names no commits");
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.LEASED);

        assertThat(h.api.signAndPost("/v1/explore-done", stuck, giveBack.build()).ack().getMessage())
                .contains("closed unexplored");
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.DONE);
        assertThat(explore(Identity.generate()).hasUnit()).as("the place given back is taken at once").isTrue();
    }

    private ClaimResponse explore() {
        return explore(Identity.generate());
    }

    private ClaimResponse explore(Identity explorer) {
        ClaimRequest claim = ClaimRequest.newBuilder().setNode(explorer.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").addKinds(WorkUnit.Kind.EXPLORE).setBuiltinExplorer(true)
                .setDirection(DIRECTION).setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).build();
        return h.api.signAndPost("/v1/claim", explorer, claim).parse(ClaimResponse.newBuilder()).build();
    }

    private Result unfetchable(Identity runner, WorkUnit unit) {
        return Fixtures.unfetchable(runner, unit, h.clock.millis());
    }
}
