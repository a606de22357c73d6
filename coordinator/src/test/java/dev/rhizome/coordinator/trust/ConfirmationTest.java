package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.ConfirmationRule;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.HonestRunners;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.AdoptionList;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.ConfirmationList;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.SeedCommitment;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The confirmation stage on a real coordinator on loopback, on both stores: a candidate that wins
 * at the public trial seeds is adopted only after it wins again, paired with the frontier, at
 * fresh seeds derived after the pass. 2 replicas per trial, 3 trial seeds, 3
 * confirmation seeds (the default).
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class ConfirmationTest {
    private static final double BASE = 3.20;
    private static final Set<Long> TRIAL_SEEDS = Set.of(42L, 43L, 44L);

    @Parameter
    String store;

    @TempDir
    Path dataDir;

    private Harness h;
    private HonestRunners net;

    @BeforeEach
    void start() throws Exception {
        h = Harness.on(store, dataDir, Fixtures.manifest(2, 0.01, 3), ApiClient.Format.PROTOBUF,
                CoordinatorLimits.defaults()).withSeedAndDirection();
        net = new HonestRunners(h);
        net.measures(h.seedCommit, (c, seed) -> baseline(seed));
        net.runUntilIdle();
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** Every seed has its own level, shared by every commit (the pairing cancels it). */
    private static double baseline(long seed) {
        return BASE + 0.01 * (seed % 7);
    }

    @Test
    void aLuckyPassAtTheTrialSeedsThatLosesAtConfirmationIsNotAdopted() {
        // better by 0.05 at the three public seeds (tuned to them), worse by 0.02 anywhere else
        String lucky = net.propose((c, seed) -> baseline(seed) + (TRIAL_SEEDS.contains(seed) ? -0.05 : 0.02));
        net.runUntilIdle();

        assertThat(net.frontier()).as("not adopted").isEqualTo(h.seedCommit);
        assertThat(h.api.get("/v1/adoptions", AdoptionList.newBuilder()).getAdoptionsCount()).isZero();
        Confirmation c = confirmationOf(lucky);
        assertThat(c.getState()).isEqualTo(Confirmation.State.REFUSED);
        assertThat(c.getRandomSeedsList()).hasSize(3).doesNotContainAnyElementsOf(TRIAL_SEEDS);
        assertThat(c.getFrontier()).isEqualTo(h.seedCommit);
        assertThat(c.getReason()).contains("mean gain");
        assertThat(c.getAuditCount()).as("drawn after its trial-seed results were in").isGreaterThanOrEqualTo(2 + 2 + 6);
        // both sides ran at every confirmation seed, with the same replication as any trial
        for (String commit : List.of(lucky, h.seedCommit)) {
            Map<Long, Trial> bySeed = new HashMap<>();
            trials(commit).forEach(t -> bySeed.put(t.getRandomSeed(), t));
            assertThat(bySeed.keySet()).containsAll(c.getRandomSeedsList());
            c.getRandomSeedsList().forEach(seed -> {
                assertThat(bySeed.get(seed).getState()).isEqualTo(ResultVerdict.State.VALID);
                assertThat(bySeed.get(seed).getResultsCount()).isEqualTo(2);
            });
        }
        ExperimentReport report = h.api.get("/v1/experiment?commit=" + lucky, ExperimentReport.newBuilder()).build();
        assertThat(report.getAdopted()).isFalse();
        assertThat(report.getConfirmation().getState()).isEqualTo(Confirmation.State.REFUSED);
        assertThat(report.getConfirmation().getRandomSeedsList()).isEqualTo(c.getRandomSeedsList());

        // the one draw is spent: nothing more is queued for it, and it stays refused
        net.runUntilIdle();
        assertThat(confirmationOf(lucky)).isEqualTo(c);
    }

    /**
     * One lucky random seed moves no frontier, however lucky: a commit far better than the frontier
     * at one seed and the same at every other is a fluke to the paired rule (t = 1) at the trial
     * seeds, and so is one that wins the trial seeds and is lucky at one confirmation seed alone.
     */
    @Test
    void oneLuckySeedMovesNoFrontierAtEitherStage() {
        String luckyAt42 = net.propose((c, seed) -> baseline(seed) - (seed == 42L ? 1.0 : 0.0));
        net.runUntilIdle();
        assertThat(trials(luckyAt42)).hasSize(3)
                .allSatisfy(t -> assertThat(t.getState()).isEqualTo(ResultVerdict.State.VALID));
        assertThat(net.frontier()).as("one lucky trial seed").isEqualTo(h.seedCommit);
        assertThat(h.api.get("/v1/confirmations?direction=" + DIRECTION, ConfirmationList.newBuilder())
                .getConfirmationsList()).as("it never passed the trial seeds").isEmpty();

        // better by 0.05 at the public seeds, then lucky at the first fresh seed it runs at, no better elsewhere
        long[] luckySeed = {-1};
        String luckyOnce = net.propose((c, seed) -> {
            if (TRIAL_SEEDS.contains(seed)) {
                return baseline(seed) - 0.05;
            }
            if (luckySeed[0] < 0) {
                luckySeed[0] = seed;
            }
            return baseline(seed) - (seed == luckySeed[0] ? 1.0 : 0.0);
        });
        net.runUntilIdle();
        Confirmation c = confirmationOf(luckyOnce);
        assertThat(c.getRandomSeedsList()).contains(luckySeed[0]);
        assertThat(c.getState()).as("one lucky confirmation seed").isEqualTo(Confirmation.State.REFUSED);
        assertThat(net.frontier()).isEqualTo(h.seedCommit);
        assertThat(h.api.get("/v1/adoptions", AdoptionList.newBuilder()).getAdoptionsCount()).isZero();
    }

    @Test
    void aRealWinIsAdoptedWithItsConfirmationOnTheRecord() {
        String loser = net.propose((c, seed) -> baseline(seed) + 0.03);
        String real = net.propose((c, seed) -> baseline(seed) - 0.05);
        net.runUntilIdle();

        assertThat(net.frontier()).isEqualTo(real);
        List<Confirmation> all = h.api.get("/v1/confirmations?direction=" + DIRECTION, ConfirmationList.newBuilder())
                .getConfirmationsList();
        assertThat(all).extracting(Confirmation::getCommit).as("the loser never passed: nothing drawn")
                .containsExactly(real);
        Confirmation c = all.get(0);
        assertThat(c.getState()).isEqualTo(Confirmation.State.CONFIRMED);
        Adoption a = h.api.get("/v1/adoptions", AdoptionList.newBuilder()).getAdoptions(0);
        assertThat(a.getRandomSeedsList()).containsExactly(42L, 43L, 44L);
        assertThat(a.getConfirmationSeedsList()).isEqualTo(c.getRandomSeedsList());
        assertThat(a.getConfirmationMeanGain()).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-9));
        for (int i = 0; i < 3; i++) {
            long seed = a.getConfirmationSeeds(i);
            assertThat(a.getConfirmationCandidateMetrics(i)).isCloseTo(baseline(seed) - 0.05,
                    org.assertj.core.data.Offset.offset(1e-9));
            assertThat(a.getConfirmationFrontierMetrics(i)).isCloseTo(baseline(seed),
                    org.assertj.core.data.Offset.offset(1e-9));
        }
        assertThat(a.getAuditCount()).isGreaterThan(c.getAuditCount());
        assertThat(h.api.get("/v1/experiment?commit=" + loser, ExperimentReport.newBuilder()).hasConfirmation())
                .isFalse();

        // A later candidate that passes the trial seeds against the new frontier is confirmed
        // against it: the new frontier runs at the later candidate's own fresh seeds.
        String next = net.propose((c2, seed) -> baseline(seed) - 0.10);
        net.runUntilIdle();
        assertThat(net.frontier()).isEqualTo(next);
        Confirmation second = confirmationOf(next);
        assertThat(second.getFrontier()).isEqualTo(real);
        Set<Long> realSeeds = new java.util.HashSet<>();
        trials(real).forEach(t -> realSeeds.add(t.getRandomSeed()));
        assertThat(realSeeds).containsAll(second.getRandomSeedsList());
    }

    /**
     * A confirmation's trials gate an adoption and are few: the claim order hands them out before
     * ordinary work queued earlier (here a later candidate's trials, registered before the draw).
     */
    @Test
    void aConfirmationTrialIsClaimedAheadOfOlderOrdinaryWork() {
        String real = net.propose((c, seed) -> baseline(seed) - 0.05);
        String older = net.propose((c, seed) -> baseline(seed) + 0.03);  // ordinary work, queued before any draw
        boolean drawn = false;
        for (int round = 0; round < 50 && !drawn; round++) {
            for (Identity runner : net.runners()) {
                WorkUnit unit = h.api.claim(runner);
                assertThat(unit).as("work remains until the draw").isNotNull();
                assertThat(unit.getCommit()).as("the older work is reached only after the draw").isNotEqualTo(older);
                net.report(runner, unit);
                if (h.api.get("/v1/confirmations?direction=" + DIRECTION, ConfirmationList.newBuilder())
                        .getConfirmationsCount() > 0) {
                    drawn = true;
                    break;
                }
            }
        }
        assertThat(drawn).as("the candidate passed at the trial seeds").isTrue();
        Set<Long> drawnSeeds = Set.copyOf(confirmationOf(real).getRandomSeedsList());
        assertThat(trials(older)).as("its trials are still queued").isEmpty();

        WorkUnit next = h.api.claim(net.runners().get(0));
        assertThat(next.getCommit()).as("a confirmation trial, not the older candidate's").isIn(real, h.seedCommit);
        assertThat(drawnSeeds).contains(next.getRandomSeed());
        net.report(net.runners().get(0), next);
        net.runUntilIdle();
        assertThat(net.frontier()).isEqualTo(real);
        assertThat(h.api.get("/v1/experiment?commit=" + older, ExperimentReport.newBuilder()).build().getDecided())
                .as("the older work still ran").isTrue();
    }

    /**
     * A candidate confirming when another is adopted, and no longer passing the trial seeds against
     * that new frontier, is closed as SUPERSEDED with the reason, and its report is decided: it
     * stayed CONFIRMING for good, its report "decided, not adopted" with no reason.
     */
    @Test
    void aConfirmingCandidateThatNoLongerPassesAgainstANewFrontierIsSuperseded() {
        String first = net.propose((c, seed) -> baseline(seed) - 0.05);
        String better = net.propose((c, seed) -> baseline(seed) - 0.12);
        // Runners hold the first candidate's own confirmation runs (its seeds are not the trial
        // seeds) while everything else runs: the better one passes, confirms and is adopted.
        List<Map.Entry<Identity, WorkUnit>> held = net.runUntilIdleHolding(
                unit -> unit.getCommit().equals(first) && !TRIAL_SEEDS.contains(unit.getRandomSeed()));
        assertThat(held).as("the first candidate's confirmation runs, held").isNotEmpty();
        assertThat(net.frontier()).isEqualTo(better);

        Confirmation c = confirmationOf(first);
        assertThat(c.getState()).isEqualTo(Confirmation.State.SUPERSEDED);
        assertThat(c.getFrontier()).as("the frontier it was last judged against").isEqualTo(better);
        assertThat(c.getReason()).contains("superseded").contains("trial seeds");
        assertThat(c.getDecidedMs()).isPositive();
        ExperimentReport report = h.api.get("/v1/experiment?commit=" + first, ExperimentReport.newBuilder()).build();
        assertThat(report.getDecided()).as("final, though runs of it are still out").isTrue();
        assertThat(report.getAdopted()).isFalse();
        assertThat(report.getConfirmation().getState()).isEqualTo(Confirmation.State.SUPERSEDED);
        assertThat(report.getConfirmation().getReason()).isEqualTo(c.getReason());

        // the held runs still come back and are stored; the closed confirmation stays closed
        held.forEach(e -> net.report(e.getKey(), e.getValue()));
        net.runUntilIdle();
        assertThat(confirmationOf(first)).isEqualTo(c);
        assertThat(net.frontier()).isEqualTo(better);
        assertThat(h.api.get("/v1/adoptions", AdoptionList.newBuilder()).getAdoptionsList())
                .extracting(Adoption::getCommit).containsExactly(better);
    }

    /**
     * `wait` ends when the report says decided: a candidate whose own trials are all in, the
     * frontier's at its confirmation seeds still running, is not decided yet (it was: "decided, not
     * adopted" for a candidate adopted a minute later).
     */
    @Test
    void aCandidateIsNotDecidedWhileTheFrontierStillRunsAtItsConfirmationSeeds() {
        String real = net.propose((c, seed) -> baseline(seed) - 0.05);
        // the frontier's confirmation trials, leased and not yet reported
        List<Map.Entry<Identity, WorkUnit>> held = net.runUntilIdleHolding(unit -> unit.getCommit().equals(h.seedCommit));
        assertThat(held).as("the frontier's replicas at the drawn seeds").isNotEmpty();
        ExperimentReport waiting = h.api.get("/v1/experiment?commit=" + real, ExperimentReport.newBuilder()).build();
        assertThat(waiting.getPendingUnits()).as("its own trials are all in").isZero();
        assertThat(waiting.getConfirmation().getState()).isEqualTo(Confirmation.State.CONFIRMING);
        assertThat(waiting.getDecided()).as("not decided while the frontier runs at its seeds").isFalse();

        held.forEach(e -> net.report(e.getKey(), e.getValue()));
        net.runUntilIdle();
        ExperimentReport decided = h.api.get("/v1/experiment?commit=" + real, ExperimentReport.newBuilder()).build();
        assertThat(decided.getDecided()).isTrue();
        assertThat(decided.getAdopted()).isTrue();
        assertThat(decided.getConfirmation().getState()).isEqualTo(Confirmation.State.CONFIRMED);
    }

    /**
     * Two coordinators on one PostgreSQL database, runners reporting through either: the seeds
     * are the one derivation from the candidate's commit, its deciding results and the secret
     * stored when it was registered (both serve its commitment from then on), whichever
     * coordinator settled the pass, and both serve that one record (a draw per process could differ).
     */
    @Test
    void twoCoordinatorsOnOneDatabaseDeriveTheSameSeedsFromTheResults() throws Exception {
        Assumptions.assumeTrue(store.equals(Harness.POSTGRESQL), "two coordinators share a PostgreSQL database");
        try (Coordinator b = Coordinator.start(h.config().withDataDir(dataDir.resolve("b")))) {
            ApiClient apiB = new ApiClient(b.url(), ApiClient.Format.PROTOBUF, h.clock);
            String real = net.propose((c, seed) -> baseline(seed) - 0.05);
            // the commitment is public before any result: both coordinators serve the one the registration stored
            List<SeedCommitment> committed = apiB.get("/v1/confirmations?direction=" + DIRECTION,
                    ConfirmationList.newBuilder()).getSeedCommitmentsList().stream()
                    .filter(x -> x.getCommit().equals(real)).toList();
            assertThat(committed).hasSize(1);
            assertThat(h.api.get("/v1/confirmations?direction=" + DIRECTION, ConfirmationList.newBuilder())
                    .getSeedCommitmentsList()).contains(committed.get(0));
            for (int round = 0; round < 200; round++) {
                boolean worked = false;
                for (int r = 0; r < net.runners().size(); r++) {
                    ApiClient api = r % 2 == 0 ? h.api : apiB;
                    WorkUnit unit = api.claim(net.runners().get(r));
                    if (unit != null) {
                        worked = true;
                        api.signAndPost("/v1/results", net.runners().get(r),
                                Fixtures.result(net.runners().get(r), unit, net.honestly(unit), h.clock.millis())).ack();
                    }
                }
                if (!worked) {
                    break;
                }
            }
            assertThat(net.frontier()).isEqualTo(real);
            Confirmation c = confirmationOf(real);
            List<String> deciding = trials(real).stream().filter(t -> TRIAL_SEEDS.contains(t.getRandomSeed()))
                    .flatMap(t -> t.getResultsList().stream())
                    .filter(v -> v.getState() == ResultVerdict.State.VALID).map(ResultVerdict::getEnvelopeId).toList();
            assertThat(deciding).hasSize(6);
            assertThat(c.getDerivation()).isEqualTo(Confirmation.Derivation.COMMITTED);
            assertThat(c.getDerivedFromList()).containsExactlyInAnyOrderElementsOf(deciding);
            byte[] reveal = c.getSeedReveal().toByteArray();
            assertThat(ConfirmationRule.commitment(reveal)).isEqualTo(committed.get(0).getCommitment().toByteArray());
            assertThat(c.getRandomSeedsList())
                    .isEqualTo(ConfirmationRule.derive(real, deciding, reveal, 3, List.of(42L, 43L, 44L)));
            assertThat(apiB.get("/v1/confirmations?direction=" + DIRECTION, ConfirmationList.newBuilder())
                    .getConfirmationsList()).containsExactly(c);
        }
    }

    // --- helpers ---------------------------------------------------------------------------

    private Confirmation confirmationOf(String commit) {
        return h.api.get("/v1/confirmations?direction=" + DIRECTION, ConfirmationList.newBuilder())
                .getConfirmationsList().stream().filter(c -> c.getCommit().equals(commit)).findFirst().orElseThrow();
    }

    private List<Trial> trials(String commit) {
        return h.api.get("/v1/trials?commit=" + commit, TrialList.newBuilder()).getTrialsList();
    }
}
