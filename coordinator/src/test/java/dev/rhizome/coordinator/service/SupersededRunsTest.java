package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.file.Path;
import java.time.Duration;
import dev.rhizome.protocol.seed.Manifests;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleBiFunction;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A confirmation closed as SUPERSEDED withdraws its open runs: the candidate's at its seeds and
 * also the frontier's it was paired with there (those ran on for nothing), except where a
 * confirmation still open needs that commit at that seed; so does a candidate still confirming
 * when it is paired with a new frontier, for the runs of the frontier it leaves. On both stores.
 */
class SupersededRunsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void theFrontiersRunsAtASupersededCandidatesSeedsAreWithdrawnUnlessStillNeeded(String kind) throws Exception {
        String candidate = Fixtures.commit();
        String other = Fixtures.commit();
        String frontier = Fixtures.commit();
        Confirmation closed = confirmation(candidate, frontier, 1001L, 1002L);
        Confirmation stillOpen = confirmation(other, frontier, 1002L, 1003L);
        SettledHistory.onStore(kind, dir, store -> {
            run(store, tx -> {
                for (long seed : List.of(1001L, 1002L)) {
                    Settlement.queueTrial(tx, "tiny-lm", "d", candidate, "", ByteString.EMPTY, seed, 2, true, 0);
                }
                for (long seed : List.of(1001L, 1002L, 1003L)) {
                    Settlement.queueTrial(tx, "tiny-lm", "d", frontier, "", ByteString.EMPTY, seed, 2, true, 0);
                    Settlement.queueTrial(tx, "tiny-lm", "d", other, "", ByteString.EMPTY, seed, 2, true, 0);
                }
                UnitRecord leased = tx.pendingUnitsOfTrial(frontier, 1001L).get(0);
                tx.updateUnit(leased.leasedTo(ByteString.copyFromUtf8("runner"), Long.MAX_VALUE));
                tx.saveConfirmation(closed.toBuilder().setState(Confirmation.State.SUPERSEDED).build());
                tx.saveConfirmation(stillOpen);
                Settlement.withdrawRunsOf(tx, "d", List.of(closed));
            });
            List<UnitRecord> pending = store.inTransaction(tx -> tx.pendingUnitsOfTrial(frontier, 1001L));
            assertThat(pending).as("the frontier's leased run there too, or its expiry reopens it").isEmpty();
            assertThat(open(store, candidate, 1001L)).as("the candidate's own runs").isZero();
            assertThat(open(store, candidate, 1002L)).isZero();
            assertThat(open(store, frontier, 1001L)).as("the frontier's runs at its seed, needed by no one").isZero();
            assertThat(open(store, frontier, 1002L)).as("still needed by the other confirmation").isEqualTo(2);
            assertThat(open(store, frontier, 1003L)).as("never the closed one's").isEqualTo(2);
            assertThat(open(store, other, 1001L)).as("another commit's runs at that seed").isEqualTo(2);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void anEarlierFrontiersRunsAtAConfirmingCandidatesSeedsAreWithdrawnWhenItIsPairedWithANewOne(String kind)
            throws Exception {
        String candidate = Fixtures.commit();
        String other = Fixtures.commit();
        String earlier = Fixtures.commit();
        String newer = Fixtures.commit();
        Confirmation before = confirmation(candidate, earlier, 1001L, 1002L);
        Confirmation notYetPaired = confirmation(other, earlier, 1002L, 1003L);
        SettledHistory.onStore(kind, dir, store -> {
            run(store, tx -> {
                for (long seed : List.of(1001L, 1002L, 1003L)) {
                    Settlement.queueTrial(tx, "tiny-lm", "d", earlier, "", ByteString.EMPTY, seed, 2, true, 0);
                }
                tx.saveConfirmation(before.toBuilder().setFrontier(newer).build());
                tx.saveConfirmation(notYetPaired);
                Settlement.withdrawEarlierFrontiersRuns(tx, "d", before);
            });
            assertThat(open(store, earlier, 1001L)).as("the replaced frontier's runs at the candidate's seed").isZero();
            assertThat(open(store, earlier, 1002L)).as("still needed by a confirmation paired with it").isEqualTo(2);
            assertThat(open(store, earlier, 1003L)).as("never the candidate's seed").isEqualTo(2);
        });
    }

    /**
     * Through the coordinator's own services: candidate C confirms against the base at its seeds,
     * the frontier moves to B meanwhile and C still passes against B, so C is paired with B, which
     * is queued at C's seeds; the base's runs there, open and needed by nothing, are withdrawn
     * (they ran on: only a superseded candidate's frontier's runs were).
     */
    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aReplacedFrontiersOpenRunsAtAStillConfirmingCandidatesSeedsAreWithdrawn(String kind) throws Exception {
        SettledHistory.onStore(kind, dir, store -> {
            SettledHistory h = new SettledHistory(store, Fixtures.manifest(1, 0.01, 3));
            List<Long> trialSeeds = Manifests.trialSeeds(h.manifest);
            Map<String, Double> quality = new HashMap<>(Map.of(h.base, 0.0));
            ToDoubleBiFunction<String, Long> metric = (commit, seed) -> 3.2 + 0.01 * (seed % 7) + quality.get(commit);
            h.runOpenEvaluations(metric);
            String b = h.experiment(h.base);
            String c = h.experiment(h.base);
            quality.put(b, -0.05);
            quality.put(c, -0.12);
            // B's confirmation runs stay out (claimed, not reported) while C's trials run and C draws its seeds
            List<SettledHistory.Claimed> held = new ArrayList<>();
            while (store.inTransaction(tx -> tx.confirmation(c)).isEmpty()) {
                SettledHistory.Claimed next = h.claim().orElseThrow();
                if (trialSeeds.contains(next.unit().getRandomSeed())) {
                    h.report(next, metric);
                } else {
                    assertThat(next.unit().getCommit()).as("B's confirmation or the base's there").isNotEqualTo(c);
                    held.add(next);
                }
            }
            Confirmation drawn = store.inTransaction(tx -> tx.confirmation(c)).orElseThrow();
            assertThat(drawn.getFrontier()).isEqualTo(h.base);
            for (long seed : drawn.getRandomSeedsList()) {
                assertThat(open(store, h.base, seed)).as("the base queued at C's seed").isEqualTo(1);
            }

            held.forEach(claimed -> h.report(claimed, metric));  // B is adopted
            assertThat(store.inTransaction(tx -> tx.direction(SettledHistory.DIRECTION)).orElseThrow().frontier()
                    .commit()).isEqualTo(b);
            Confirmation paired = store.inTransaction(tx -> tx.confirmation(c)).orElseThrow();
            assertThat(paired.getState()).isEqualTo(Confirmation.State.CONFIRMING);
            assertThat(paired.getFrontier()).isEqualTo(b);
            for (long seed : paired.getRandomSeedsList()) {
                assertThat(open(store, h.base, seed)).as("the replaced frontier's run at C's seed").isZero();
                assertThat(open(store, b, seed)).as("the new frontier's").isEqualTo(1);
            }

            h.runOpenEvaluations(metric);
            assertThat(store.inTransaction(tx -> tx.direction(SettledHistory.DIRECTION)).orElseThrow().frontier()
                    .commit()).isEqualTo(c);
        });
    }

    /**
     * As above, with the base's runs at C's seeds already leased when B is adopted: withdrawn
     * too, so their leases running out does not make them OPEN again (a later claim never gets
     * them), their holders' renewals are refused as withdrawn, and a result that comes anyway is
     * kept as TOO_LATE and counts for nothing.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aReplacedFrontiersLeasedRunsAtAStillConfirmingCandidatesSeedsDoNotComeBackAtExpiry(String kind)
            throws Exception {
        SettledHistory.onStore(kind, dir, store -> {
            SettledHistory h = new SettledHistory(store, Fixtures.manifest(1, 0.01, 3));
            List<Long> trialSeeds = Manifests.trialSeeds(h.manifest);
            Map<String, Double> quality = new HashMap<>(Map.of(h.base, 0.0));
            ToDoubleBiFunction<String, Long> metric = (commit, seed) -> 3.2 + 0.01 * (seed % 7) + quality.get(commit);
            h.runOpenEvaluations(metric);
            String b = h.experiment(h.base);
            String c = h.experiment(h.base);
            quality.put(b, -0.05);
            quality.put(c, -0.12);
            List<SettledHistory.Claimed> held = new ArrayList<>();
            while (store.inTransaction(tx -> tx.confirmation(c)).isEmpty()) {
                SettledHistory.Claimed next = h.claim().orElseThrow();
                if (trialSeeds.contains(next.unit().getRandomSeed())) {
                    h.report(next, metric);
                } else {
                    held.add(next);
                }
            }
            List<Long> cSeeds = store.inTransaction(tx -> tx.confirmation(c)).orElseThrow().getRandomSeedsList();
            List<SettledHistory.Claimed> cRuns = new ArrayList<>();
            List<SettledHistory.Claimed> baseAtCSeeds = new ArrayList<>();
            for (Optional<SettledHistory.Claimed> next = h.claim(); next.isPresent(); next = h.claim()) {
                boolean baseThere = next.get().unit().getCommit().equals(h.base)
                        && cSeeds.contains(next.get().unit().getRandomSeed());
                (baseThere ? baseAtCSeeds : cRuns).add(next.get());
            }
            assertThat(baseAtCSeeds).as("the base's runs at C's seeds, leased").hasSameSizeAs(cSeeds);

            held.forEach(claimed -> h.report(claimed, metric));  // B is adopted; C, still passing, paired with B
            Confirmation paired = store.inTransaction(tx -> tx.confirmation(c)).orElseThrow();
            assertThat(paired.getState()).isEqualTo(Confirmation.State.CONFIRMING);
            assertThat(paired.getFrontier()).isEqualTo(b);
            for (long seed : cSeeds) {
                List<UnitRecord> pending = store.inTransaction(tx -> tx.pendingUnitsOfTrial(h.base, seed));
                assertThat(pending).as("the replaced frontier's leased run at C's seed, withdrawn").isEmpty();
            }
            cRuns.forEach(claimed -> h.report(claimed, metric));

            h.clock.advance(Duration.ofMinutes(11));  // every lease of those runs has run out
            for (Optional<SettledHistory.Claimed> next = h.claim(); next.isPresent(); next = h.claim()) {
                WorkUnit unit = next.get().unit();
                assertThat(unit.getCommit().equals(h.base) && cSeeds.contains(unit.getRandomSeed()))
                        .as("a withdrawn run leased again: " + unit.getCommit() + " at " + unit.getRandomSeed())
                        .isFalse();
                h.report(next.get(), metric);
            }
            assertThat(store.inTransaction(tx -> tx.direction(SettledHistory.DIRECTION)).orElseThrow().frontier()
                    .commit()).isEqualTo(c);

            SettledHistory.Claimed late = baseAtCSeeds.get(0);
            assertThatThrownBy(() -> h.renew(late)).isInstanceOfSatisfying(Rejection.class, r -> {
                assertThat(r.code()).isEqualTo(dev.rhizome.proto.v1.Error.Code.UNIT_CLOSED);
                assertThat(r.getMessage()).contains("withdrawn");
            });
            assertThat(h.report(late, metric)).contains("TOO_LATE").contains("closed without it");
            assertThat(store.inTransaction(tx -> tx.direction(SettledHistory.DIRECTION)).orElseThrow().frontier()
                    .commit()).as("the late result moves nothing").isEqualTo(c);
        });
    }

    private static Confirmation confirmation(String commit, String frontier, long... seeds) {
        Confirmation.Builder c = Confirmation.newBuilder().setDirection("d").setCommit(commit).setFrontier(frontier)
                .setState(Confirmation.State.CONFIRMING).setDerivation(Confirmation.Derivation.DERIVED)
                .addDerivedFrom(commit);
        for (long s : seeds) {
            c.addRandomSeeds(s);
        }
        return c.build();
    }

    private static long open(Store store, String commit, long seed) {
        return store.inTransaction(tx -> tx.pendingUnitsOfTrial(commit, seed).stream()
                .filter(u -> u.state() == UnitStatus.State.OPEN).count());
    }

    private interface Work {
        void on(Store.Transaction tx);
    }

    private static void run(Store store, Work work) {
        store.inTransaction(tx -> {
            work.on(tx);
            return null;
        });
    }
}
