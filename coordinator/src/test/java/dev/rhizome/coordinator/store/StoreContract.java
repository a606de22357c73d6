package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ConfirmationRule;
import dev.rhizome.coordinator.core.DirectionLoad;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.SpotChecks;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.SeedCommitment;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Store} promises, whatever database is behind it. Each concrete test class
 * opens its own database; the same assertions run on SQLite and on PostgreSQL.
 */
abstract class StoreContract {
    protected final Identity operator = Identity.generate();
    private final List<Store> opened = new ArrayList<>();

    /** A store over this test's database; a second call opens the same database again. */
    protected abstract Store openStore() throws Exception;

    /** Another store over the same database, as a second coordinator would hold, where the database allows it. */
    protected Store secondStore(Store first) throws Exception {
        return store();
    }

    protected Store store() throws Exception {
        Store s = openStore();
        opened.add(s);
        return s;
    }

    /**
     * Shared pages live while the write version stands; the lease sweep runs a transaction every
     * second, and on an idle coordinator it changes nothing: moving the version for it made every
     * page last a second at most (on PostgreSQL until round 27, where every commit moved it).
     */
    @Test
    void aTransactionThatChangedNoRowLeavesTheWriteVersionAndOneThatWroteMovesIt() throws Exception {
        Store store = store();
        long before = store.writeVersion();
        store.inTransaction(tx -> {  // the sweep's statements with nothing due
            assertThat(tx.expiredLeases(Long.MAX_VALUE)).isEmpty();
            tx.forgetClaimNonces(0);
            tx.forgetWriteCounts(0);
            tx.forgetNodesSeenBefore(0, 100);
            return null;
        });
        store.inTransaction(tx -> tx.seed("none"));
        assertThat(store.writeVersion()).as("a sweep with nothing due, and a read").isEqualTo(before);
        Seed seed = seed();
        store.inTransaction(tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            return null;
        });
        long stored = store.writeVersion();
        assertThat(stored).as("a transaction that stored a seed").isGreaterThan(before);
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 3);
        store.inTransaction(tx -> {
            tx.insertDirection(direction, Envelopes.sign(operator, direction), 3);
            return null;
        });
        assertThat(store.writeVersion()).as("a transaction that stored a direction").isGreaterThan(stored);
    }

    @AfterEach
    void closeStores() {
        Collections.reverse(opened);
        opened.forEach(Store::close);
    }

    private Seed seed() {
        return Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01), 1);
    }

    private static UnitRecord evaluation(String id, String commit, long createdMs) {
        return UnitRecord.open(id, WorkUnit.Kind.EVALUATE, "tiny-lm", "d", commit, "", ByteString.EMPTY, createdMs);
    }

    /** A claimant with nothing counted from its origin: the claims here name no address. */
    static final LeaseCaps.Held NO_ORIGIN = new LeaseCaps.Held(0, 0);

    /** A lease as a claim with no nonce, signed time, network or address records it. */
    static void leased(Store.Transaction tx, String unitId, ByteString holder, long nowMs) {
        tx.recordLease(unitId, holder, nowMs, ByteString.EMPTY, Long.MIN_VALUE, "", "", "");
    }

    private static <T> T run(Store store, Store.Work<T> work) {
        return store.inTransaction(work);
    }

    @Test
    void whatACommitWroteIsThereWhenTheDatabaseIsOpenedAgain() throws Exception {
        Seed seed = seed();
        Store first = openStore();
        run(first, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            return null;
        });
        first.close();
        Optional<Stored<Seed>> stored = run(store(), tx -> tx.seed("tiny-lm"));
        assertThat(stored.map(Stored::record)).contains(seed);
    }

    @Test
    void closuresAndBansAreRecordedOnceAndSeenByASecondStore() throws Exception {
        Store first = store();
        ByteString key = Identity.generate().publicId().toByteString();
        assertThat(StoreContract.<Boolean>run(first, tx -> tx.closeDirection("d", "budget spent", 5))).isTrue();
        assertThat(StoreContract.<Boolean>run(first, tx -> tx.closeDirection("d", "again", 6))).as("a second close changes nothing").isFalse();
        assertThat(StoreContract.<Boolean>run(first, tx -> tx.banKey(key, "forged metrics", 7))).isTrue();
        assertThat(StoreContract.<Boolean>run(first, tx -> tx.banKey(key, "again", 8))).isFalse();
        Store second = secondStore(first);
        assertThat(run(second, (Store.Transaction tx) -> tx.closedDirections())).containsExactly(Map.entry("d", "budget spent"));
        assertThat(run(second, (Store.Transaction tx) -> tx.closedDirections(List.of("e", "d", "d"))))
                .as("only the directions named").containsExactly(Map.entry("d", "budget spent"));
        assertThat(run(second, (Store.Transaction tx) -> tx.closedDirections(List.of("e")))).isEmpty();
        Map<String, String> viewed = second.inReadTransaction(tx -> tx.closedDirections(List.of("d")));
        assertThat(viewed)
                .as("in a view too").containsExactly(Map.entry("d", "budget spent"));
        assertThat(run(second, Store.Transaction::bannedKeys)).containsExactly(Map.entry(key, "forged metrics"));
    }

    @Test
    void aDirectionClosedByAnotherStoreHasNoLoadToWeigh() throws Exception {
        Store first = store();
        Seed seed = seed();
        run(first, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            for (String name : List.of("d", "e", "f")) {
                Direction direction = Fixtures.direction(operator, name, "tiny-lm", seed.getCommit(), 2);
                tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
            }
            return null;
        });
        assertThat(run(first, (Store.Transaction tx) -> tx.loadsOfOpenDirections())).extracting(DirectionLoad::direction)
                .containsExactly("d", "e", "f");
        Store second = secondStore(first);
        run(second, tx -> tx.closeDirection("e", "budget spent", 5));
        assertThat(run(first, (Store.Transaction tx) -> tx.loadsOfOpenDirections())).extracting(DirectionLoad::direction)
                .as("the closure is seen by the next read of the first store").containsExactly("d", "f");
        List<DirectionLoad> afterClosing = run(second, tx -> {
            tx.closeDirection("f", "done", 6);
            return tx.loadsOfOpenDirections();
        });
        assertThat(afterClosing).extracting(DirectionLoad::direction).as("and by the transaction that closed it").containsExactly("d");
    }

    @Test
    void aTransactionThatThrowsLeavesNothingBehind() throws Exception {
        Store store = store();
        Seed seed = seed();
        UnitRecord unit = evaluation("u1", seed.getCommit(), 1);
        assertThatThrownBy(() -> run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.insertUnit(unit);
            throw Rejection.conflict("changed my mind");
        })).isInstanceOf(Rejection.class).hasMessageContaining("changed my mind");
        assertThat(run(store, (Store.Transaction tx) -> tx.seed("tiny-lm"))).isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.units(Optional.empty()))).isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.auditTrail())).isEmpty();

        run(store, tx -> {
            tx.insertUnit(unit);
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.units(Optional.of(UnitStatus.State.OPEN)))).containsExactly(unit);
    }

    @Test
    void aDuplicateEnvelopeIsRefusedByTheDatabaseAndTheOtherWorkSurvives() throws Exception {
        Store store = store();
        Seed seed = seed();
        SignedEnvelope envelope = Envelopes.sign(operator, seed);
        run(store, tx -> {
            tx.insertSeed(seed, envelope, 1);
            return null;
        });
        assertThatThrownBy(() -> run(store, tx -> {
            tx.insertSeed(seed, envelope, 2);
            return null;
        })).isInstanceOf(StoreException.class);
        assertThat(run(store, (Store.Transaction tx) -> tx.seeds())).hasSize(1);
    }

    /**
     * A closed direction leaves the range of open ones for that of closed ones (each in the order
     * opened, paged after a key), and is counted, in the closing transaction: a rollback takes both back.
     */
    @Test
    void closingADirectionMovesItToTheClosedRangeAndCountsIt() throws Exception {
        Store store = store();
        Seed seed = seed();
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            for (String name : List.of("a", "b", "c", "e")) {
                Direction d = Fixtures.direction(operator, name, "tiny-lm", seed.getCommit(), 2);
                tx.insertDirection(d, Envelopes.sign(operator, d), 2);
            }
            tx.closeDirection("b", "done", 3);
            tx.closeDirection("e", "done", 3);
            return null;
        });
        assertThatThrownBy(() -> run(store, tx -> {
            tx.closeDirection("a", "changed my mind", 4);
            throw Rejection.conflict("changed my mind");
        })).isInstanceOf(Rejection.class);
        store.inReadTransaction(tx -> {
            assertThat(tx.directions(false, 0, 10)).extracting(k -> k.value().name()).containsExactly("a", "c");
            List<Keyed<Long, DirectionRecord>> closed = tx.directions(true, 0, 1);
            assertThat(closed).extracting(k -> k.value().name()).containsExactly("b");
            assertThat(tx.directions(true, closed.get(0).key(), 10)).extracting(k -> k.value().name())
                    .containsExactly("e");
            assertThat(tx.directionTotals()).isEqualTo(new HistoryCounts.DirectionTotals(4, 2));
            return null;
        });
    }

    @Test
    void directionsKeepTheirFrontierAndBaseline() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction direction = Fixtures.direction(operator, "lr", "tiny-lm", seed.getCommit(), 2);
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
            return null;
        });
        DirectionRecord opened = run(store, tx -> tx.direction("lr")).orElseThrow();
        assertThat(opened.direction()).isEqualTo(direction);
        assertThat(opened.frontier()).isEqualTo(new Frontier(seed.getCommit(), OptionalDouble.empty(), ""));
        assertThat(opened.baselineMetric()).isEmpty();

        String better = Fixtures.commit();
        run(store, tx -> {
            tx.setBaselineMetric("lr", 2.5);
            tx.updateFrontier("lr", new Frontier(better, OptionalDouble.of(2.25), "cpu:x86_64"));
            return null;
        });
        DirectionRecord moved = run(store, tx -> tx.directions()).get(0);
        assertThat(moved.frontier()).isEqualTo(new Frontier(better, OptionalDouble.of(2.25), "cpu:x86_64"));
        assertThat(moved.baselineMetric()).hasValue(2.5);
        assertThat(run(store, (Store.Transaction tx) -> tx.direction("nope"))).isEmpty();
    }

    /** The directions standing on a commit are those whose base or frontier it is, as they are now, in the order opened. */
    @Test
    void theDirectionsStandingOnACommitAreThoseBasedOnItOrWithItAsFrontier() throws Exception {
        Store store = store();
        Seed seed = seed();
        String fork = Fixtures.commit();
        String later = Fixtures.commit();
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            for (String[] d : new String[][] {{"a", seed.getCommit()}, {"b", fork}, {"c", seed.getCommit()}, {"e", fork}}) {
                Direction direction = Fixtures.direction(operator, d[0], "tiny-lm", d[1], 2);
                tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
            }
            return null;
        });
        assertThat(names(store, seed.getCommit())).containsExactly("a", "c");
        run(store, tx -> {
            tx.updateFrontier("a", new Frontier(fork, OptionalDouble.of(2.0), "cpu:x86_64"));
            tx.updateFrontier("c", new Frontier(later, OptionalDouble.of(2.0), "cpu:x86_64"));
            assertThat(tx.directionsOn(fork)).as("its own writes").extracting(DirectionRecord::name)
                    .containsExactly("a", "b", "e");
            return null;
        });
        assertThat(names(store, fork)).as("a's frontier, b's and e's base").containsExactly("a", "b", "e");
        assertThat(names(store, seed.getCommit())).as("their base, whatever their frontier").containsExactly("a", "c");
        assertThat(names(store, later)).containsExactly("c");
        assertThat(names(secondStore(store), Fixtures.commit())).isEmpty();
    }

    /**
     * A direction's adopted path (migration 25): opened with an empty one kept for its base; rows
     * put and dropped by depth; read for the frontier it was written for only, by a second store
     * too; and an experiment's ancestry is its parents and when it was registered, after the
     * direction it extends was opened.
     */
    @Test
    void anAdoptedPathIsReadForTheFrontierItWasWrittenForAndDroppedByDepth() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction direction = Fixtures.direction(operator, "lr", "tiny-lm", seed.getCommit(), 2);
        String a = Fixtures.commit();
        String b = Fixtures.commit();
        String merge = Fixtures.commit();
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
            String[][] experiments = {{a, seed.getCommit(), ""}, {b, a, ""}, {merge, b, a}};
            for (String[] x : experiments) {
                Experiment e = Fixtures.experiment(operator, "tiny-lm", "lr", x[0], x[1], 3).toBuilder()
                        .setSecondParent(x[2]).build();
                tx.insertExperiment(e, Envelopes.sign(operator, e), 3);
            }
            return null;
        });
        AdoptedPaths.PathHead opened = run(store, (Store.Transaction tx) -> tx.pathHead("lr")).orElseThrow();
        assertThat(opened.frontier()).as("kept, empty, for its base").contains(seed.getCommit());
        assertThat(opened.chain()).isTrue();
        assertThat(run(store, (Store.Transaction tx) -> tx.onKeptPath("lr", seed.getCommit(), a))).contains(false);
        assertThat(run(store, (Store.Transaction tx) -> tx.pathHead("nope"))).isEmpty();
        AdoptedPaths.Ancestry ofMerge = run(store, (Store.Transaction tx) -> tx.ancestry(merge)).orElseThrow();
        assertThat(ofMerge.parent()).isEqualTo(b);
        assertThat(ofMerge.secondParent()).isEqualTo(a);
        assertThat(run(store, (Store.Transaction tx) -> tx.ancestry(a)).orElseThrow().seq()).isGreaterThan(opened.openedSeq());
        assertThat(run(store, (Store.Transaction tx) -> tx.ancestry(seed.getCommit()))).as("a seed's commit is no experiment").isEmpty();

        run(store, tx -> {
            tx.addToPath("lr", a, 1);
            tx.addToPath("lr", b, 2);
            tx.setPathHead("lr", b, true);
            assertThat(tx.onKeptPath("lr", b, a)).as("its own writes").contains(true);
            return null;
        });
        Store second = secondStore(store);
        assertThat(run(second, (Store.Transaction tx) -> tx.onKeptPath("lr", b, a))).contains(true);
        assertThat(run(second, (Store.Transaction tx) -> tx.onKeptPath("lr", b, merge))).contains(false);
        assertThat(run(second, (Store.Transaction tx) -> tx.onKeptPath("lr", merge, a))).as("written for another frontier").isEmpty();
        assertThat(run(second, (Store.Transaction tx) -> tx.pathDepth("lr", b))).hasValue(2);
        assertThatThrownBy(() -> run(store, tx -> {
            tx.dropPathAbove("lr", -1);
            throw new IllegalStateException("rolled back");
        })).hasMessageContaining("rolled back");
        assertThat(run(store, (Store.Transaction tx) -> tx.pathDepth("lr", a))).as("a rollback drops nothing").hasValue(1);

        run(store, tx -> {
            tx.dropPathAbove("lr", 1);
            tx.setPathHead("lr", a, true);
            return null;
        });
        assertThat(run(second, (Store.Transaction tx) -> tx.pathDepth("lr", b))).isEmpty();
        assertThat(run(second, (Store.Transaction tx) -> tx.onKeptPath("lr", a, a))).contains(true);
        run(store, tx -> {
            tx.dropPathAbove("lr", -1);
            tx.addToPath("lr", merge, 0);
            tx.setPathHead("lr", merge, false);
            return null;
        });
        assertThat(run(second, (Store.Transaction tx) -> tx.pathHead("lr")).orElseThrow().chain()).isFalse();
        assertThat(run(second, (Store.Transaction tx) -> tx.onKeptPath("lr", merge, a))).contains(false);
        assertThat(run(second, (Store.Transaction tx) -> tx.onKeptPath("lr", merge, merge))).contains(true);
    }

    private static ProposerThrottle.Record recordOf(Store store, ByteString proposer) {
        return run(store, tx -> tx.proposerRecord(proposer));
    }

    private static List<String> names(Store store, String commit) {
        return run(store, tx -> tx.directionsOn(commit)).stream().map(DirectionRecord::name).toList();
    }

    /**
     * A settling result's reads under its locks (its unit, read to change, a commit's experiment,
     * the directions on a commit) are remembered within the transaction, a round trip each saved
     * on PostgreSQL; they follow the transaction's own writes.
     */
    @Test
    void aSettlingTransactionsRememberedReadsFollowItsOwnWrites() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
        ByteString runner = Identity.generate().publicId().toByteString();
        String c1 = Fixtures.commit();
        String c2 = Fixtures.commit();
        Experiment experiment = Fixtures.experiment(operator, "tiny-lm", "d", c2, seed.getCommit(), 3);
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
            tx.insertUnit(evaluation("u1", c1, 10).leasedTo(runner, 1_000));
            return null;
        });
        store.inSettlingTransaction(tx -> {
            tx.lockForSettlement(List.of("d"), c1, List.of(runner));
            UnitRecord leased = tx.unit("u1").orElseThrow();
            assertThat(leased.state()).isEqualTo(UnitStatus.State.LEASED);
            tx.updateUnit(leased.doneBy(runner));
            assertThat(tx.unit("u1").orElseThrow().state()).as("the unit after its update").isEqualTo(UnitStatus.State.DONE);
            assertThat(tx.experiment(c2)).isEmpty();
            tx.insertExperiment(experiment, Envelopes.sign(operator, experiment), 3);
            assertThat(tx.experiment(c2).map(Stored::record)).as("the experiment after its insert").contains(experiment);
            assertThat(tx.directionsOn(c1)).isEmpty();
            tx.updateFrontier("d", new Frontier(c1, OptionalDouble.of(2.0), "cpu:x86_64"));
            assertThat(tx.directionsOn(c1)).as("the directions on a commit after a frontier moved onto it")
                    .extracting(DirectionRecord::name).containsExactly("d");
            return null;
        });
        assertThat(run(store, tx -> tx.unit("u1")).orElseThrow().state()).isEqualTo(UnitStatus.State.DONE);
        assertThat(names(store, c1)).containsExactly("d");
    }

    /**
     * What a settling result names its locks from before it holds them, read in one statement, is
     * what the unit, the commit's experiment, the directions on the commit and its results say
     * one read at a time: the unit's and the experiment's directions, those whose frontier is the
     * commit (not those based on it), and the runners of every result on it, late ones included.
     * A set smaller than the one read again under the locks would make every try race.
     */
    @Test
    void aSettlementsReachReadInOneStatementIsWhatItsPiecesSay() throws Exception {
        Store store = store();
        Seed seed = seed();
        String c1 = Fixtures.commit();
        Identity counted = Identity.generate();
        Identity late = Identity.generate();
        WorkUnit unit = WorkUnit.newBuilder().setId("u1").setSeed("tiny-lm").setDirection("d").setCommit(c1).build();
        Result countedResult = Fixtures.result(counted, unit, 2.0, 30);
        Result lateResult = Fixtures.result(late, unit, 1.0, 31);
        Experiment experiment = Fixtures.experiment(operator, "tiny-lm", "x", c1, seed.getCommit(), 3);
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            for (String name : List.of("d", "x", "on", "based")) {
                Direction d = Fixtures.direction(operator, name, "tiny-lm", seed.getCommit(), 2);
                tx.insertDirection(d, Envelopes.sign(operator, d), 2);
            }
            tx.insertUnit(evaluation("u1", c1, 10));
            return null;
        });
        SettlementReach bare = run(store, tx -> tx.settlementReach("u1", "another"));
        assertThat(bare.commit()).as("the unit's commit, not the one the result names").isEqualTo(c1);
        assertThat(bare.directions()).containsExactly("d");
        assertThat(bare.runners()).isEmpty();
        run(store, tx -> {
            tx.insertExperiment(experiment, Envelopes.sign(operator, experiment), 3);
            tx.updateFrontier("on", new Frontier(c1, OptionalDouble.of(2.0), "cpu:x86_64"));
            SignedEnvelope e1 = Envelopes.sign(counted, countedResult);
            tx.insertResult(countedResult, e1, Envelopes.id(e1), 30);
            SignedEnvelope e2 = Envelopes.sign(late, lateResult);
            tx.insertLateResult(lateResult, e2, Envelopes.id(e2), 31);
            return null;
        });
        SettlementReach reach = run(store, tx -> tx.settlementReach("u1", c1));
        assertThat(reach.commit()).isEqualTo(c1);
        assertThat(reach.directions()).containsExactlyInAnyOrder("d", "x", "on");
        assertThat(reach.runners()).containsExactlyInAnyOrder(counted.publicId().toByteString(), late.publicId().toByteString());
        SettlementReach noUnit = run(store, tx -> tx.settlementReach("no such unit", c1));
        assertThat(noUnit).as("a unit not stored: the result's commit").isEqualTo(new SettlementReach(c1, Set.of("x", "on"),
                reach.runners()));
        SettlementReach nothing = run(store, tx -> tx.settlementReach("no such unit", "nothing"));
        assertThat(nothing).isEqualTo(new SettlementReach("nothing", Set.of(), Set.of()));
    }

    /** A stored envelope's place in the trail, told by the transaction that stored it, is the one kept. */
    @Test
    void anEnvelopesPlaceToldByItsOwnTransactionIsTheOneKept() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
        SignedEnvelope envelope = Envelopes.sign(operator, direction);
        String id = Envelopes.id(envelope);
        AuditTrail.Accepted told = run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            assertThat(tx.accepted(id)).isEmpty();
            tx.insertDirection(direction, envelope, 2);
            return tx.accepted(id).orElseThrow();
        });
        assertThat(told.receivedMs()).isEqualTo(2);
        Optional<AuditTrail.Accepted> kept = store.inTransaction(tx -> tx.accepted(id));
        assertThat(kept).contains(told);
    }

    /** Reads remembered within a transaction (seed, direction, a commit's results) follow its own writes. */
    @Test
    void aTransactionReadsItsOwnWritesAfterReadingTheSameRowsBefore() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
        Identity runner = Identity.generate();
        String c1 = Fixtures.commit();
        String better = Fixtures.commit();
        WorkUnit unit = WorkUnit.newBuilder().setId("u1").setSeed("tiny-lm").setDirection("d").setCommit(c1).build();
        Result result = Fixtures.result(runner, unit, 2.0, 30);
        SignedEnvelope envelope = Envelopes.sign(runner, result);
        run(store, tx -> {
            assertThat(tx.seed("tiny-lm")).isEmpty();
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            assertThat(tx.seed("tiny-lm").map(Stored::record)).contains(seed);
            assertThat(tx.direction("d")).isEmpty();
            tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
            assertThat(tx.direction("d").orElseThrow().frontier().commit()).isEqualTo(seed.getCommit());
            tx.updateFrontier("d", new Frontier(better, OptionalDouble.of(2.0), "cpu:x86_64"));
            assertThat(tx.direction("d").orElseThrow().frontier().commit()).isEqualTo(better);
            tx.setBaselineMetric("d", 2.5);
            assertThat(tx.direction("d").orElseThrow().baselineMetric()).hasValue(2.5);
            tx.insertUnit(evaluation("u1", c1, 10));
            assertThat(tx.resultEntries(c1)).isEmpty();
            tx.insertResult(result, envelope, Envelopes.id(envelope), 30);
            assertThat(tx.resultEntries(c1)).extracting(Trials.Entry::result).containsExactly(result);
            return null;
        });
    }

    /**
     * A page's results and reputation classes read together equal each commit's read alone, in a
     * transaction that wrote some of them, before and after reading them one by one, across more
     * than one slice of the store's IN lists, and after the transaction committed (where the SQLite
     * store keeps a commit's results).
     */
    @Test
    void resultsAndReputationsOfManyCommitsEqualEachCommitsOwn() throws Exception {
        Store store = store();
        Identity runner = Identity.generate();
        List<String> commits = new ArrayList<>();
        for (int i = 0; i < 130; i++) {
            commits.add(Fixtures.commit());
        }
        Store.Work<Void> write = tx -> {
            for (int i = 0; i < commits.size(); i += 2) {
                for (long seed = 1; seed <= 1 + i % 3; seed++) {
                    WorkUnit unit = WorkUnit.newBuilder().setId("u" + i + "-" + seed).setSeed("tiny-lm")
                            .setDirection("d").setCommit(commits.get(i)).setRandomSeed(seed).build();
                    Result r = Fixtures.result(runner, unit, 2.0 + seed, 30 + i);
                    SignedEnvelope e = Envelopes.sign(runner, r);
                    if (i % 6 == 0) {
                        tx.insertLateResult(r, e, Envelopes.id(e), 30 + i);
                    } else {
                        tx.insertResult(r, e, Envelopes.id(e), 30 + i);
                    }
                }
                if (i % 4 == 0) {
                    tx.markAcceptedOnReputation(commits.get(i), 1, "cpu:x86_64", runner.publicId().toByteString());
                }
            }
            return null;
        };
        run(store, tx -> {
            tx.resultEntries(commits.get(0));  // read, then written below: the transaction's own list
            write.run(tx);
            checkManyEqualEach(tx, commits);
            return null;
        });
        run(store, tx -> {
            commits.forEach(tx::resultEntries);  // kept across transactions where the store keeps them
            checkManyEqualEach(tx, commits);
            return null;
        });
        int written = store.inReadTransaction(tx -> {
            checkManyEqualEach(tx, commits);
            return tx.resultEntries(commits).values().stream().mapToInt(List::size).sum();
        });
        assertThat(written).as("results written: 1 to 3 a commit on every other one").isEqualTo(130);
    }

    private static void checkManyEqualEach(Store.Transaction tx, List<String> commits) {
        Map<String, List<Trials.Entry>> many = tx.resultEntries(commits);
        Map<String, Map<Long, Set<String>>> classes = tx.reputationClasses(commits);
        assertThat(many.keySet()).containsExactlyElementsOf(commits);
        for (String c : commits) {
            assertThat(many.get(c)).as(c).isEqualTo(tx.resultEntries(c));
            for (long seed = 0; seed <= 3; seed++) {
                assertThat(classes.getOrDefault(c, Map.of()).getOrDefault(seed, Set.of()))
                        .isEqualTo(tx.reputationClasses(c, seed));
            }
        }
        assertThat(classes).hasSize(33);
    }

    /**
     * Reads a store may keep across transactions (the SQLite store does: directions, closures,
     * reputations, a commit's results) show what later transactions committed, and nothing of
     * what a transaction wrote before it rolled back, though it read its own writes.
     */
    @Test
    void readsAcrossTransactionsFollowCommitsAndForgetRollbacks() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
        ByteString runnerKey = ByteString.copyFromUtf8("runner");
        Reputation first = Reputation.fresh().onValid(100);
        Reputation second = first.onValid(200);
        Identity runner = Identity.generate();
        String c1 = Fixtures.commit();
        String better = Fixtures.commit();
        Result result = Fixtures.result(runner, WorkUnit.newBuilder().setId("u1").setSeed("tiny-lm").setDirection("d")
                .setCommit(c1).build(), 2.0, 30);
        SignedEnvelope envelope = Envelopes.sign(runner, result);
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
            tx.insertUnit(evaluation("u1", c1, 10));
            tx.saveReputation(runnerKey, first);
            return null;
        });
        // read once, so a store that keeps reads has them
        run(store, tx -> {
            assertThat(tx.directions()).hasSize(1);
            assertThat(tx.closedDirections()).isEmpty();
            assertThat(tx.reputation(runnerKey)).contains(first);
            assertThat(tx.resultEntries(c1)).isEmpty();
            return null;
        });
        assertThatThrownBy(() -> run(store, tx -> {
            tx.updateFrontier("d", new Frontier(better, OptionalDouble.of(2.0), "cpu:x86_64"));
            tx.closeDirection("d", "done", 3);
            tx.saveReputation(runnerKey, second);
            assertThat(tx.resultEntries(c1)).isEmpty();
            tx.insertResult(result, envelope, Envelopes.id(envelope), 30);
            assertThat(tx.direction("d").orElseThrow().frontier().commit()).isEqualTo(better);
            assertThat(tx.closedDirections()).containsKey("d");
            assertThat(tx.reputation(runnerKey)).contains(second);
            assertThat(tx.resultEntries(c1)).extracting(Trials.Entry::result).containsExactly(result);
            throw Rejection.conflict("changed my mind");
        })).isInstanceOf(Rejection.class);
        run(store, tx -> {
            assertThat(tx.direction("d").orElseThrow().frontier().commit()).isEqualTo(seed.getCommit());
            assertThat(tx.closedDirections()).isEmpty();
            assertThat(tx.reputation(runnerKey)).contains(first);
            assertThat(tx.resultEntries(c1)).isEmpty();
            return null;
        });
        run(store, tx -> {
            tx.updateFrontier("d", new Frontier(better, OptionalDouble.of(2.0), "cpu:x86_64"));
            tx.closeDirection("d", "done", 3);
            tx.saveReputation(runnerKey, second);
            tx.insertResult(result, envelope, Envelopes.id(envelope), 30);
            return null;
        });
        for (int i = 0; i < 2; i++) {
            run(store, tx -> {
                assertThat(tx.directions().get(0).frontier().commit()).isEqualTo(better);
                assertThat(tx.closedDirections()).containsEntry("d", "done");
                assertThat(tx.reputation(runnerKey)).contains(second);
                assertThat(tx.resultEntries(c1)).extracting(Trials.Entry::envelopeId)
                        .containsExactly(Envelopes.id(envelope));
                return null;
            });
        }
    }

    /**
     * The claimant's counts (leases held now, leases handed out since a time) follow what
     * transactions commit and forget what they roll back, read inside the writing transaction as
     * well as after it: a store may keep them in memory between transactions.
     */
    @Test
    void claimantCountsFollowCommitsAndForgetRollbacks() throws Exception {
        Store store = store();
        ByteString node = ByteString.copyFromUtf8("claimant");
        ByteString other = ByteString.copyFromUtf8("other");
        run(store, tx -> {
            for (int i = 1; i <= 3; i++) {
                tx.insertUnit(evaluation("u" + i, Fixtures.commit(), i));
            }
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.claimant(node, 100, ""))).isEqualTo(new Claimant(0, Optional.empty(), 0, NO_ORIGIN));
        run(store, tx -> {
            tx.updateUnit(tx.unit("u1").orElseThrow().leasedTo(node, 1_000));
            leased(tx, "u1", node, 150);
            assertThat(tx.claimant(node, 100, "")).isEqualTo(new Claimant(1, Optional.empty(), 1, NO_ORIGIN));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.claimant(node, 100, ""))).isEqualTo(new Claimant(1, Optional.empty(), 1, NO_ORIGIN));
        // the expiry check follows the same writes: u1's lease ends at 1,000
        assertThat(run(store, (Store.Transaction tx) -> tx.expiredLeases(1_000))).isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.expiredLeases(1_001))).extracting(UnitRecord::id)
                .containsExactly("u1");
        assertThatThrownBy(() -> run(store, tx -> {
            tx.updateUnit(tx.unit("u2").orElseThrow().leasedTo(node, 500));
            assertThat(tx.expiredLeases(501)).extracting(UnitRecord::id).containsExactly("u2");
            throw Rejection.conflict("changed my mind");
        })).isInstanceOf(Rejection.class);
        assertThat(run(store, (Store.Transaction tx) -> tx.expiredLeases(501))).isEmpty();
        assertThatThrownBy(() -> run(store, tx -> {
            tx.updateUnit(tx.unit("u2").orElseThrow().leasedTo(node, 1_000));
            leased(tx, "u2", node, 160);
            tx.updateUnit(tx.unit("u1").orElseThrow().doneBy(node));
            assertThat(tx.claimant(node, 100, "")).isEqualTo(new Claimant(1, Optional.empty(), 2, NO_ORIGIN));
            assertThat(tx.leasesHeldBy(node)).isEqualTo(1);
            throw Rejection.conflict("changed my mind");
        })).isInstanceOf(Rejection.class);
        assertThat(run(store, (Store.Transaction tx) -> tx.claimant(node, 100, ""))).isEqualTo(new Claimant(1, Optional.empty(), 1, NO_ORIGIN));
        run(store, tx -> {
            tx.updateUnit(tx.unit("u1").orElseThrow().expired());
            tx.updateUnit(tx.unit("u2").orElseThrow().leasedTo(other, 1_000));
            leased(tx, "u2", other, 170);
            tx.updateUnit(tx.unit("u3").orElseThrow().leasedTo(node, 1_000));
            leased(tx, "u3", node, 90);  // before the day asked about: not counted
            return null;
        });
        for (int i = 0; i < 2; i++) {
            assertThat(run(store, (Store.Transaction tx) -> tx.claimant(node, 100, ""))).isEqualTo(new Claimant(1, Optional.empty(), 1, NO_ORIGIN));
            assertThat(run(store, (Store.Transaction tx) -> tx.claimant(other, 100, ""))).isEqualTo(new Claimant(1, Optional.empty(), 1, NO_ORIGIN));
            assertThat(run(store, (Store.Transaction tx) -> tx.claimant(node, 0, ""))).isEqualTo(new Claimant(1, Optional.empty(), 2, NO_ORIGIN));
            assertThat(run(store, (Store.Transaction tx) -> tx.leasesSince(node, 100))).isEqualTo(1);
        }
    }

    /** A commit's results read when its experiment is registered stay right as results arrive or roll back. */
    @Test
    void resultsOfANewExperimentFollowItsResults() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
        Identity runner = Identity.generate();
        String c1 = Fixtures.commit();
        Experiment experiment = Fixtures.experiment(operator, "tiny-lm", "d", c1, seed.getCommit(), 3);
        Result result = Fixtures.result(runner, WorkUnit.newBuilder().setId("u1").setSeed("tiny-lm").setDirection("d")
                .setCommit(c1).build(), 2.0, 30);
        SignedEnvelope envelope = Envelopes.sign(runner, result);
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
            tx.insertExperiment(experiment, Envelopes.sign(operator, experiment), 3);
            tx.insertUnit(evaluation("u1", c1, 10));
            return null;
        });
        assertThatThrownBy(() -> run(store, tx -> {
            tx.insertResult(result, envelope, Envelopes.id(envelope), 30);
            assertThat(tx.resultEntries(c1)).extracting(Trials.Entry::result).containsExactly(result);
            throw Rejection.conflict("changed my mind");
        })).isInstanceOf(Rejection.class);
        assertThat(run(store, (Store.Transaction tx) -> tx.resultEntries(c1))).isEmpty();
        run(store, tx -> {
            tx.insertResult(result, envelope, Envelopes.id(envelope), 30);
            return null;
        });
        for (int i = 0; i < 2; i++) {
            assertThat(run(store, (Store.Transaction tx) -> tx.resultEntries(c1))).extracting(Trials.Entry::envelopeId)
                    .containsExactly(Envelopes.id(envelope));
        }
    }

    /** A seed read by the transaction that inserted it, which then rolls back, is not remembered. */
    @Test
    void aSeedSeenOnlyByARolledBackTransactionIsNotRemembered() throws Exception {
        Store store = store();
        Seed seed = seed();
        assertThatThrownBy(() -> run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            assertThat(tx.seed("tiny-lm")).isPresent();
            throw Rejection.conflict("changed my mind");
        })).isInstanceOf(Rejection.class);
        assertThat(run(store, (Store.Transaction tx) -> tx.seed("tiny-lm"))).isEmpty();
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.seed("tiny-lm")).map(Stored::record)).contains(seed);
        assertThat(run(store, (Store.Transaction tx) -> tx.seed("tiny-lm")).map(Stored::record)).contains(seed);
    }

    @Test
    void unitsResultsAndLeasesAnswerTheDispatchersQuestions() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
        Identity runner = Identity.generate();
        ByteString node = runner.publicId().toByteString();
        String c1 = Fixtures.commit();
        String c2 = Fixtures.commit();
        Experiment experiment = Fixtures.experiment(operator, "tiny-lm", "d", c1, seed.getCommit(), 3);
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
            tx.insertExperiment(experiment, Envelopes.sign(operator, experiment), 3);
            tx.insertUnit(evaluation("u1", c1, 10));
            tx.insertUnit(evaluation("u2", c2, 11));
            tx.insertUnit(UnitRecord.open("x1", WorkUnit.Kind.EXPLORE, "tiny-lm", "d", seed.getCommit(), "",
                    ByteString.EMPTY, 12));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.openEvaluations())).extracting(UnitRecord::id).containsExactly("u1", "u2");
        assertThat(run(store, (Store.Transaction tx) -> tx.experiment(c1)).map(Stored::record)).contains(experiment);
        assertThat(run(store, (Store.Transaction tx) -> tx.experiments("d"))).hasSize(1);
        assertThat(run(store, (Store.Transaction tx) -> tx.experiments(""))).hasSize(1);
        assertThat(run(store, (Store.Transaction tx) -> tx.experiments("other"))).isEmpty();

        run(store, tx -> {
            UnitRecord u1 = tx.unit("u1").orElseThrow().leasedTo(node, 1_000);
            tx.updateUnit(u1);
            leased(tx, "u1", node, 20);
            tx.updateUnit(tx.unit("x1").orElseThrow().leasedTo(node, 5_000));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.everLeasedTo("u1", node))).isTrue();
        assertThat(run(store, (Store.Transaction tx) -> tx.everLeasedTo("u2", node))).isFalse();
        assertThat(run(store, (Store.Transaction tx) -> tx.commitsTouchedBy(node))).isEmpty();  // u1 is no longer open
        assertThat(run(store, (Store.Transaction tx) -> tx.pendingUnitsForCommit(c1))).isEqualTo(1);
        assertThat(run(store, (Store.Transaction tx) -> tx.leasedUnitsForCommit(c1))).as("u1, leased").isEqualTo(1);
        assertThat(run(store, (Store.Transaction tx) -> tx.loadsOfOpenDirections())).containsExactly(new DirectionLoad("d", "tiny-lm", 2, 1));
        assertThat(run(store, (Store.Transaction tx) -> tx.expiredLeases(1_001))).extracting(UnitRecord::id).containsExactly("u1");
        assertThat(run(store, (Store.Transaction tx) -> tx.expiredLeases(1_000))).isEmpty();

        WorkUnit asLeased = WorkUnit.newBuilder().setId("u1").setSeed("tiny-lm").setDirection("d").setCommit(c1).build();
        Result result = Fixtures.result(runner, asLeased, 2.0, 30);
        SignedEnvelope envelope = Envelopes.sign(runner, result);
        String id = Envelopes.id(envelope);
        run(store, tx -> {
            tx.insertResult(result, envelope, id, 30);
            tx.updateUnit(tx.unit("u1").orElseThrow().doneBy(node));
            tx.insertUnit(evaluation("u3", c1, 31));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.resultByEnvelopeId(id)).map(Stored::record)).contains(result);
        assertThat(run(store, (Store.Transaction tx) -> tx.resultOfUnit("u1", node))).isPresent();
        assertThat(run(store, (Store.Transaction tx) -> tx.resultOfUnit("u2", node))).isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.resultsForCommit(c1))).containsExactly(result);
        assertThat(run(store, (Store.Transaction tx) -> tx.resultEnvelopes("d", ""))).containsExactly(envelope);
        assertThat(run(store, (Store.Transaction tx) -> tx.resultEnvelopes("", c2))).isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.countResults("d"))).isEqualTo(1);
        assertThat(run(store, (Store.Transaction tx) -> tx.commitsTouchedBy(node))).containsExactly(c1);  // u3: replicas need others
        assertThat(run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(node, 0, 10))).extracting(UnitRecord::id)
                .containsExactly("u2");
        ByteString stranger = Identity.generate().publicId().toByteString();
        assertThat(run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(stranger, 0, 10)))
                .extracting(UnitRecord::id).containsExactly("u2", "u3");
        assertThat(run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(stranger, 1, 1)))
                .extracting(UnitRecord::id).containsExactly("u3");
        assertThat(run(store, (Store.Transaction tx) -> tx.units(Optional.of(UnitStatus.State.DONE)))).extracting(UnitRecord::id)
                .containsExactly("u1");

        CoordinatorStats stats = run(store, Store.Transaction::stats);
        assertThat(stats.getSeeds()).isEqualTo(1);
        assertThat(stats.getExperiments()).isEqualTo(1);
        assertThat(stats.getResults()).isEqualTo(1);
        assertThat(stats.getUnitsOpen()).isEqualTo(2);
        assertThat(stats.getUnitsLeased()).isEqualTo(1);
        assertThat(stats.getUnitsDone()).isEqualTo(1);
        assertThat(run(store, (Store.Transaction tx) -> tx.auditTrail())).hasSize(4);
        assertThatThrownBy(() -> run(store, tx -> {
            tx.updateUnit(evaluation("missing", c1, 1));
            return null;
        })).isInstanceOf(StoreException.class).hasMessageContaining("missing");
    }

    @Test
    void aLateResultIsFoundAndListedButMarkedLateAndLeftOutOfTheCountingResults() throws Exception {
        Store store = store();
        String commit = Fixtures.commit();
        Identity early = Identity.generate();
        Identity holder = Identity.generate();
        WorkUnit unit = WorkUnit.newBuilder().setId("u1").setSeed("tiny-lm").setDirection("d").setCommit(commit).build();
        Result lateResult = Fixtures.result(early, unit, 1.0, 10);
        Result counted = Fixtures.result(holder, unit, 2.0, 11);
        SignedEnvelope lateEnvelope = Envelopes.sign(early, lateResult);
        SignedEnvelope countedEnvelope = Envelopes.sign(holder, counted);
        run(store, tx -> {
            tx.insertUnit(evaluation("u1", commit, 1));
            tx.resultEntries(commit);  // read before, so a store that keeps the list appends to it
            tx.insertLateResult(lateResult, lateEnvelope, Envelopes.id(lateEnvelope), 10);
            assertThat(tx.resultEntries(commit)).extracting(Trials.Entry::late).containsExactly(true);
            return null;
        });
        run(store, tx -> {
            tx.insertResult(counted, countedEnvelope, Envelopes.id(countedEnvelope), 11);
            return null;
        });
        for (Store s : List.of(store, secondStore(store))) {
            assertThat(run(s, (Store.Transaction tx) -> tx.resultEntries(commit)))
                    .extracting(Trials.Entry::envelopeId, Trials.Entry::late)
                    .containsExactly(tuple(Envelopes.id(lateEnvelope), true), tuple(Envelopes.id(countedEnvelope), false));
            assertThat(run(s, (Store.Transaction tx) -> tx.resultsForCommit(commit))).containsExactly(counted);
            assertThat(run(s, (Store.Transaction tx) -> tx.resultOfUnit("u1", early.publicId().toByteString()))
                    .map(Stored::record)).contains(lateResult);
            assertThat(run(s, (Store.Transaction tx) -> tx.resultEnvelopes("d", commit)))
                    .containsExactly(lateEnvelope, countedEnvelope);
        }
    }

    /**
     * A confirmation keeps its derivation as stored (seeds, the results they were derived from) on
     * every store, through its state changes and from a second store on the same database, and a
     * second choice of seeds for the same candidate is refused: one choice per candidate.
     */
    @Test
    void aConfirmationsSeedsAreChosenOnceAndKeptWithWhatTheyDeriveFrom() throws Exception {
        Store store = store();
        String commit = Fixtures.commit();
        List<String> basis = List.of("a".repeat(64), "b".repeat(64));
        Confirmation derived = Confirmation.newBuilder().setDirection("d").setCommit(commit).setFrontier("f")
                .setHardwareClass("cpu").setState(Confirmation.State.CONFIRMING).setDrawnMs(5).setAuditCount(9)
                .setDerivation(Confirmation.Derivation.DERIVED).addAllDerivedFrom(basis)
                .addAllRandomSeeds(ConfirmationRule.derive(commit, basis, 3, List.of(42L))).build();
        run(store, tx -> {
            tx.saveConfirmation(derived);
            return null;
        });
        Confirmation refused = derived.toBuilder().setState(Confirmation.State.REFUSED).setReason("lost").build();
        run(store, tx -> {
            tx.saveConfirmation(refused);
            return null;
        });
        Store second = secondStore(store);
        assertThat(run(second, (Store.Transaction tx) -> tx.confirmation(commit))).contains(refused);
        assertThat(run(second, (Store.Transaction tx) -> tx.openConfirmations("d"))).isEmpty();

        Confirmation redrawn = derived.toBuilder().setRandomSeeds(0, derived.getRandomSeeds(0) + 1).build();
        assertThatThrownBy(() -> run(second, tx -> {
            tx.saveConfirmation(redrawn);
            return null;
        })).hasStackTraceContaining("were chosen once");
        assertThat(run(store, (Store.Transaction tx) -> tx.confirmation(commit))).contains(refused);
    }

    /**
     * A candidate's seed secret is fixed once for the store: a second coordinator that commits
     * another for the same candidate (both registering it at once) keeps the first, so both derive
     * the same confirmation seeds; one rolled back (a coordinator killed before its registration
     * committed) leaves no secret; the commitment, not the secret, is what the direction lists.
     */
    @Test
    void aCandidatesSeedSecretIsFixedOnceAndEveryCoordinatorDerivesTheSameSeeds() throws Exception {
        Store store = store();
        Store second = secondStore(store);
        String commit = Fixtures.commit();
        byte[] first = new byte[ConfirmationRule.SECRET_BYTES];
        byte[] other = new byte[ConfirmationRule.SECRET_BYTES];
        new java.security.SecureRandom().nextBytes(first);
        new java.security.SecureRandom().nextBytes(other);
        assertThatThrownBy(() -> run(store, tx -> {
            tx.commitSeedSecret(commitment(commit, other, 6), other);
            throw new IllegalStateException("killed before the registration committed");
        })).hasStackTraceContaining("killed before");
        assertThat(run(second, (Store.Transaction tx) -> tx.seedSecret(commit))).isEmpty();

        SeedCommitment kept = run(store, tx -> tx.commitSeedSecret(commitment(commit, first, 7), first));
        SeedCommitment raced = run(second, tx -> tx.commitSeedSecret(commitment(commit, other, 8), other));
        assertThat(raced).isEqualTo(kept).isEqualTo(commitment(commit, first, 7));

        List<String> basis = List.of("a".repeat(64), "b".repeat(64));
        List<List<Long>> derived = new ArrayList<>();
        for (Store s : List.of(store, second)) {
            byte[] secret = run(s, (Store.Transaction tx) -> tx.seedSecret(commit)).orElseThrow();
            assertThat(secret).isEqualTo(first);
            derived.add(ConfirmationRule.derive(commit, basis, secret, 3, List.of(42L)));
            assertThat(run(s, (Store.Transaction tx) -> tx.seedCommitments("d"))).containsExactly(kept);
            assertThat(run(s, (Store.Transaction tx) -> tx.seedCommitments(""))).containsExactly(kept);
            assertThat(run(s, (Store.Transaction tx) -> tx.seedCommitments("elsewhere"))).isEmpty();
        }
        assertThat(derived.get(1)).isEqualTo(derived.get(0));
        assertThat(kept.getCommitment().toByteArray()).isEqualTo(ConfirmationRule.commitment(first));
    }

    /**
     * Every EVALUATE unit described and every result checked names its candidate's commitment, so
     * the store keeps it once read (round 28): the kept one is the committed one, never what a
     * transaction that rolled back inserted and read, and reading it again runs no statement.
     */
    @Test
    void aSeedCommitmentIsReadOnceAndNeverKeptFromATransactionThatRolledBack() throws Exception {
        Store store = store();
        String commit = Fixtures.commit();
        byte[] first = new byte[ConfirmationRule.SECRET_BYTES];
        byte[] other = new byte[ConfirmationRule.SECRET_BYTES];
        new java.security.SecureRandom().nextBytes(first);
        new java.security.SecureRandom().nextBytes(other);
        assertThatThrownBy(() -> run(store, tx -> {
            tx.commitSeedSecret(commitment(commit, other, 6), other);
            assertThat(tx.seedCommitment(commit)).hasValueSatisfying(
                    c -> assertThat(c).isEqualTo(ConfirmationRule.commitment(other)));
            throw new IllegalStateException("killed before the registration committed");
        })).hasStackTraceContaining("killed before");
        assertThat(run(store, (Store.Transaction tx) -> tx.seedCommitment(commit))).as("after the rollback").isEmpty();

        run(store, tx -> tx.commitSeedSecret(commitment(commit, first, 7), first));
        assertThat(run(store, (Store.Transaction tx) -> tx.seedCommitment(commit))).hasValueSatisfying(
                c -> assertThat(c).isEqualTo(ConfirmationRule.commitment(first)));
        long before = store.queriesRun();
        assertThat(run(store, (Store.Transaction tx) -> tx.seedCommitment(Fixtures.commit()))).isEmpty();
        long readingOne = store.queriesRun() - before;  // a transaction's own statements, and the read
        before = store.queriesRun();
        byte[] again = run(store, (Store.Transaction tx) -> tx.seedCommitment(commit)).orElseThrow();
        assertThat(store.queriesRun() - before).as("statements of a transaction reading a kept commitment")
                .isEqualTo(readingOne - 1);
        assertThat(again).isEqualTo(ConfirmationRule.commitment(first));
        again[0] ^= 1;  // a caller's copy: the kept one is not changed through it
        assertThat(run(store, (Store.Transaction tx) -> tx.seedCommitment(commit))).hasValueSatisfying(
                c -> assertThat(c).isEqualTo(ConfirmationRule.commitment(first)));
    }

    /**
     * {@code /v1/confirmations} pages its two lists on one key, audit count then commit: each read
     * returns the rows after the key in that order, one direction's or every direction's, so a
     * walk sees every record once however many share an audit count.
     */
    @Test
    void confirmationsAndSeedCommitmentsAreReadAfterAKeyInOrder() throws Exception {
        Store store = store();
        List<String> commits = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            commits.add(Fixtures.commit());
        }
        byte[] secret = new byte[ConfirmationRule.SECRET_BYTES];
        run(store, tx -> {
            for (int i = 0; i < commits.size(); i++) {
                long auditCount = i / 2;  // two a count: the commit orders them
                tx.commitSeedSecret(commitment(commits.get(i), secret, auditCount).toBuilder()
                        .setDirection(i == 5 ? "elsewhere" : "d").build(), secret);
                tx.saveConfirmation(Confirmation.newBuilder().setDirection(i == 5 ? "elsewhere" : "d")
                        .setCommit(commits.get(i)).setFrontier("f").setHardwareClass("cpu")
                        .setState(Confirmation.State.CONFIRMING).setDrawnMs(100 - i).setAuditCount(auditCount)
                        .setDerivation(Confirmation.Derivation.DERIVED).addRandomSeeds(i).build());
            }
            return null;
        });
        Comparator<String> byKey = Comparator.comparing(c -> commits.indexOf(c) / 2);
        List<String> ordered = commits.stream().sorted(byKey.thenComparing(Comparator.naturalOrder())).toList();
        List<String> walked = new ArrayList<>();
        Confirmations.ListKey after = Confirmations.ListKey.FIRST;
        while (true) {
            Confirmations.ListKey from = after;
            List<SeedCommitment> page = run(store, (Store.Transaction tx) -> tx.seedCommitments("", from, 2));
            List<Confirmation> drawn = run(store, (Store.Transaction tx) -> tx.confirmations("", from, 2));
            assertThat(drawn).extracting(Confirmation::getCommit)
                    .containsExactlyElementsOf(page.stream().map(SeedCommitment::getCommit).toList());
            if (page.isEmpty()) {
                break;
            }
            page.forEach(c -> walked.add(c.getCommit()));
            SeedCommitment last = page.get(page.size() - 1);
            after = new Confirmations.ListKey(last.getAuditCount(), last.getCommit());
        }
        assertThat(walked).containsExactlyElementsOf(ordered);
        assertThat(run(store, (Store.Transaction tx) -> tx.confirmations("d", Confirmations.ListKey.FIRST, 10)))
                .extracting(Confirmation::getCommit).containsExactlyElementsOf(
                        ordered.stream().filter(c -> !c.equals(commits.get(5))).toList());
        assertThat(run(store, (Store.Transaction tx) -> tx.seedCommitments("elsewhere", Confirmations.ListKey.FIRST, 10)))
                .extracting(SeedCommitment::getCommit).containsExactly(commits.get(5));
    }

    private static SeedCommitment commitment(String commit, byte[] secret, long auditCount) {
        return SeedCommitment.newBuilder().setDirection("d").setCommit(commit).setAuditCount(auditCount)
                .setCommittedMs(5).setCommitment(com.google.protobuf.ByteString.copyFrom(
                        ConfirmationRule.commitment(secret))).build();
    }

    /**
     * A unit queued ahead (a confirmation's trial) is offered before every ordinary one, however
     * old, in the order queued among those ahead; also after a lease on it ends, from a queue read
     * before it was inserted, and from another store on the same database.
     */
    @Test
    void aUnitQueuedAheadIsOfferedBeforeOlderOrdinaryWork() throws Exception {
        Store store = store();
        ByteString node = Identity.generate().publicId().toByteString();
        run(store, tx -> {
            tx.insertUnit(evaluation("u1", Fixtures.commit(), 1));
            tx.insertUnit(evaluation("u2", Fixtures.commit(), 2));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(node, 0, 10))).extracting(UnitRecord::id)
                .containsExactly("u1", "u2");  // the open queue, read (and kept, where the store owns its database)
        run(store, tx -> {
            tx.insertUnitAhead(evaluation("a1", Fixtures.commit(), 3));
            tx.insertUnit(evaluation("u3", Fixtures.commit(), 4));
            tx.insertUnitAhead(evaluation("a2", Fixtures.commit(), 5));
            return null;
        });
        for (Store s : List.of(store, secondStore(store))) {
            assertThat(run(s, (Store.Transaction tx) -> tx.openEvaluationsFor(node, 0, 10))).extracting(UnitRecord::id)
                    .containsExactly("a1", "a2", "u1", "u2", "u3");
            assertThat(run(s, (Store.Transaction tx) -> tx.units(Optional.empty(), Long.MIN_VALUE, 10)))
                    .extracting(k -> k.value().id()).as("the listing, in claim order").startsWith("a1", "a2", "u1");
        }
        run(store, tx -> {
            tx.updateUnit(tx.unit("a1").orElseThrow().leasedTo(node, 100));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(node, 0, 10))).extracting(UnitRecord::id)
                .containsExactly("a2", "u1", "u2", "u3");
        run(store, tx -> {
            tx.updateUnit(tx.unit("a1").orElseThrow().expired());
            return null;
        });
        for (Store s : List.of(store, secondStore(store))) {
            assertThat(run(s, (Store.Transaction tx) -> tx.openEvaluationsFor(node, 0, 10))).extracting(UnitRecord::id)
                    .as("back at the head once its lease ended").containsExactly("a1", "a2", "u1", "u2", "u3");
        }
    }

    @Test
    void aReservedUnitIsOfferedOnlyToItsKeysUntilItsDeadline() throws Exception {
        Store store = store();
        ByteString chosen = Identity.generate().publicId().toByteString();
        ByteString other = Identity.generate().publicId().toByteString();
        run(store, tx -> {
            tx.insertUnit(evaluation("u1", Fixtures.commit(), 1));
            tx.insertUnit(evaluation("u2", Fixtures.commit(), 2));
            tx.reserveUnit("u1", List.of(chosen), 1_000);
            return null;
        });
        for (Store s : List.of(store, secondStore(store))) {
            assertThat(run(s, (Store.Transaction tx) -> tx.openEvaluationsFor(other, 1_000, 0, 10)))
                    .extracting(UnitRecord::id).containsExactly("u2");
            assertThat(run(s, (Store.Transaction tx) -> tx.openEvaluationsFor(chosen, 1_000, 0, 10)))
                    .extracting(UnitRecord::id).containsExactly("u1", "u2");
            assertThat(run(s, (Store.Transaction tx) -> tx.openEvaluationsFor(other, 1_001, 0, 10)))
                    .as("past the deadline anyone may").extracting(UnitRecord::id).containsExactly("u1", "u2");
            assertThat(run(s, (Store.Transaction tx) -> tx.reservation("u1", 1_000))).containsExactly(chosen);
            assertThat(run(s, (Store.Transaction tx) -> tx.reservation("u1", 1_001))).isEmpty();
            assertThat(run(s, (Store.Transaction tx) -> tx.reservation("u2", 0))).isEmpty();
        }
    }

    /**
     * A reserved unit (a spot check's replica) goes to a chosen key's claim only from a network
     * that never leased its trial: the replicas' hold on a network ends 10 minutes after its
     * lease, and until round 28 a key of the checked runner's, chosen for the network it
     * announced from, could then claim the check from the runner's.
     */
    @Test
    void aReservedUnitIsNotOfferedToAChosenKeyClaimingFromANetworkThatLeasedItsTrial() throws Exception {
        Store store = store();
        String commit = Fixtures.commit();
        ByteString runner = Identity.generate().publicId().toByteString();
        ByteString chosen = Identity.generate().publicId().toByteString();
        long now = 10 + ReplicaNetworks.HOLD.toMillis() + 1;
        run(store, tx -> {
            tx.insertUnit(evaluation("u0", commit, 1));
            tx.recordLease("u0", runner, 10, ByteString.EMPTY, 10, "81.2.69.0/24", "81.2.69.5", "");
            tx.insertUnit(evaluation("u1", commit, 2));
            tx.reserveUnit("u1", List.of(chosen), now + 1_000);
            return null;
        });
        for (Store s : List.of(store, secondStore(store))) {
            assertThat(run(s, (Store.Transaction tx) -> tx.openEvaluationsFor(chosen, "81.2.69.0/24", now, 0, 10)))
                    .extracting(UnitRecord::id).containsExactly("u0");
            assertThat(run(s, (Store.Transaction tx) -> tx.openEvaluationsFor(chosen, "62.3.4.0/24", now, 0, 10)))
                    .extracting(UnitRecord::id).containsExactly("u0", "u1");
            assertThat(run(s, (Store.Transaction tx) -> tx.openEvaluationsFor(chosen, "", now, 0, 10)))
                    .as("no network: loopback").extracting(UnitRecord::id).containsExactly("u0", "u1");
        }
    }

    /**
     * The network a commit's experiment was registered from is kept off every unit of the commit,
     * with no hold (a proposer's second key there would confirm its own experiment), also where
     * the experiment was stored after a page was read; and a reserved unit is not offered to a
     * chosen key claiming from a network that sent a result of its trial.
     */
    @Test
    void aCommitsNetworkIsKeptOffItAndAReservedTrialOffTheNetworksItsResultsCameFrom() throws Exception {
        Store store = store();
        Seed seed = seed();
        String commit = Fixtures.commit();
        Experiment experiment = Fixtures.experiment(operator, "tiny-lm", "d", commit, seed.getCommit(), 3);
        Identity runner = Identity.generate();
        ByteString chosen = Identity.generate().publicId().toByteString();
        String proposers = "93.184.216.0/24";
        String reporters = "62.1.1.0/24";
        String elsewhere = "198.51.100.0/24";
        long now = 10 + ReplicaNetworks.HOLD.toMillis() + 1;
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            Direction d = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
            tx.insertDirection(d, Envelopes.sign(operator, d), 2);
            for (String id : List.of("u0", "u1", "u2")) {
                tx.insertUnit(evaluation(id, commit, 1));
                tx.setUnitRandomSeed(id, id.equals("u2") ? 8 : 7);
            }
            return null;
        });
        // read first, so that a store keeping what it read must follow the experiment below
        assertThat(networkPage(store, chosen, proposers, now)).containsExactly("u0", "u1", "u2");
        run(store, tx -> {
            tx.insertExperiment(experiment, Envelopes.sign(operator, experiment), 3, proposers);
            assertThat(ids(tx.openEvaluationsFor(chosen, proposers, now, 0, 10))).as("in the registering transaction")
                    .isEmpty();
            return null;
        });
        for (Store s : List.of(store, secondStore(store))) {
            assertThat(networkPage(s, chosen, proposers, now)).as("the proposer's network").isEmpty();
            assertThat(networkPage(s, chosen, proposers, now + 100 * ReplicaNetworks.HOLD.toMillis()))
                    .as("long after").isEmpty();
            assertThat(networkPage(s, chosen, reporters, now)).containsExactly("u0", "u1", "u2");
            assertThat(networkPage(s, chosen, "", now)).as("no network: loopback").containsExactly("u0", "u1", "u2");
        }
        WorkUnit u0 = WorkUnit.newBuilder().setId("u0").setSeed("tiny-lm").setDirection("d").setCommit(commit).build();
        Result result = Fixtures.result(runner, u0, 2.0, 30);
        run(store, tx -> {
            SignedEnvelope envelope = Envelopes.sign(runner, result);
            tx.insertResult(result, envelope, Envelopes.id(envelope), 30, reporters);
            tx.reserveUnit("u1", List.of(chosen), now + 1_000);
            return null;
        });
        for (Store s : List.of(store, secondStore(store))) {
            assertThat(networkPage(s, chosen, reporters, now)).as("a result of u1's trial came from there")
                    .containsExactly("u0", "u2");
            assertThat(networkPage(s, chosen, elsewhere, now)).containsExactly("u0", "u1", "u2");
            assertThat(networkPage(s, chosen, reporters, now + 1_001)).as("the reservation over")
                    .containsExactly("u0", "u1", "u2");
        }
    }

    /**
     * The claim page leaves out a trial's replicas for a key that holds one, and units reserved
     * for other keys, also when the lease or the reservation was written after pages were read
     * (a store may know either without a read) or earlier in the same transaction.
     */
    @Test
    void theClaimPageFollowsLeasesAndReservationsWrittenAfterItsFirstRead() throws Exception {
        Store store = store();
        String commit = Fixtures.commit();
        ByteString holder = Identity.generate().publicId().toByteString();
        ByteString chosen = Identity.generate().publicId().toByteString();
        ByteString other = Identity.generate().publicId().toByteString();
        run(store, tx -> {
            for (String id : List.of("u1", "u2")) {
                tx.insertUnit(evaluation(id, commit, 1));
                tx.setUnitRandomSeed(id, 7);
            }
            tx.insertUnit(evaluation("u3", Fixtures.commit(), 2));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(holder, 500, 0, 10)))
                .extracting(UnitRecord::id).containsExactly("u1", "u2", "u3");
        run(store, tx -> {
            tx.updateUnit(tx.unit("u1").orElseThrow().leasedTo(holder, 5_000));
            assertThat(tx.openEvaluationsFor(holder, 500, 0, 10)).as("in the leasing transaction")
                    .extracting(UnitRecord::id).containsExactly("u3");
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(holder, 500, 0, 10)))
                .as("u2 is a replica of the trial it holds").extracting(UnitRecord::id).containsExactly("u3");
        run(store, tx -> {
            tx.reserveUnit("u3", List.of(chosen), 1_000);
            assertThat(tx.openEvaluationsFor(other, 500, 0, 10)).as("in the reserving transaction")
                    .extracting(UnitRecord::id).containsExactly("u2");
            return null;
        });
        for (Store s : List.of(store, secondStore(store))) {
            assertThat(run(s, (Store.Transaction tx) -> tx.openEvaluationsFor(other, 500, 0, 10)))
                    .extracting(UnitRecord::id).containsExactly("u2");
            assertThat(run(s, (Store.Transaction tx) -> tx.openEvaluationsFor(chosen, 500, 0, 10)))
                    .extracting(UnitRecord::id).containsExactly("u2", "u3");
            assertThat(run(s, (Store.Transaction tx) -> tx.openEvaluationsFor(holder, 1_001, 0, 10)))
                    .as("past the reservation's deadline").extracting(UnitRecord::id).containsExactly("u3");
        }
        run(store, tx -> {
            tx.updateUnit(tx.unit("u1").orElseThrow().doneBy(holder));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(holder, 1_001, 0, 10)))
                .as("its lease ended").extracting(UnitRecord::id).containsExactly("u2", "u3");
    }

    /**
     * Replicas of one trial go to distinct networks: once a key from a network leased one of a
     * trial's replicas, no key from that network is offered the trial's others until the hold has
     * passed since that lease, while a key from another network (or from none: loopback) is; the
     * lease counts while it is held, after it was reported on, and in the leasing transaction.
     * The same commit at another random seed is another trial.
     */
    @Test
    void aNetworkThatLeasedAReplicaIsNotOfferedTheTrialsOthersUntilTheHoldHasPassed() throws Exception {
        Store store = store();
        String commit = Fixtures.commit();
        ByteString first = Identity.generate().publicId().toByteString();
        ByteString second = Identity.generate().publicId().toByteString();
        ByteString elsewhere = Identity.generate().publicId().toByteString();
        String home = "203.0.113.0/24";
        String away = "198.51.100.0/24";
        run(store, tx -> {
            for (String id : List.of("u1", "u2")) {
                tx.insertUnit(evaluation(id, commit, 1));
                tx.setUnitRandomSeed(id, 7);
            }
            tx.insertUnit(evaluation("u3", commit, 2));
            tx.setUnitRandomSeed("u3", 8);
            return null;
        });
        long leasedMs = 1_000;
        long hold = ReplicaNetworks.HOLD.toMillis();
        // read first, so that a store keeping what it read must follow the lease below
        assertThat(ids(run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(second, home, leasedMs, 0, 10))))
                .containsExactly("u1", "u2", "u3");
        run(store, tx -> {
            tx.updateUnit(tx.unit("u1").orElseThrow().leasedTo(first, 5 * hold));
            tx.recordLease("u1", first, leasedMs, ByteString.EMPTY, Long.MIN_VALUE, home, "", "");
            assertThat(ids(tx.openEvaluationsFor(second, home, leasedMs, 0, 10))).as("in the leasing transaction")
                    .containsExactly("u3");
            return null;
        });
        for (Store s : List.of(store, secondStore(store))) {
            assertThat(networkPage(s, second, home, leasedMs + 1)).as("the same network").containsExactly("u3");
            assertThat(networkPage(s, elsewhere, away, leasedMs + 1)).as("another network").containsExactly("u2", "u3");
            assertThat(networkPage(s, elsewhere, "", leasedMs + 1)).as("no network").containsExactly("u2", "u3");
            assertThat(networkPage(s, second, home, leasedMs + hold - 1)).as("at the hold's end").containsExactly("u3");
            assertThat(networkPage(s, second, home, leasedMs + hold + 1)).as("after the hold")
                    .containsExactly("u2", "u3");
        }
        run(store, tx -> {
            tx.updateUnit(tx.unit("u1").orElseThrow().doneBy(first));
            return null;
        });
        for (Store s : List.of(store, secondStore(store))) {
            assertThat(networkPage(s, second, home, leasedMs + 1)).as("reported on").containsExactly("u3");
            assertThat(networkPage(s, elsewhere, away, leasedMs + 1)).containsExactly("u2", "u3");
        }
        // the other network takes u2; at the hold's end the first network may take the tie-breaker
        run(store, tx -> {
            tx.updateUnit(tx.unit("u2").orElseThrow().leasedTo(elsewhere, 5 * hold));
            tx.recordLease("u2", elsewhere, leasedMs + 2, ByteString.EMPTY, Long.MIN_VALUE, away, "", "");
            tx.insertUnit(evaluation("u4", commit, 3));
            tx.setUnitRandomSeed("u4", 7);
            return null;
        });
        for (Store s : List.of(store, secondStore(store))) {
            assertThat(networkPage(s, second, home, leasedMs + 3)).containsExactly("u3");
            assertThat(networkPage(s, second, away, leasedMs + 3)).containsExactly("u3");
            assertThat(networkPage(s, second, home, leasedMs + hold + 1)).containsExactly("u3", "u4");
            assertThat(networkPage(s, second, away, leasedMs + hold + 1)).as("its lease is later")
                    .containsExactly("u3");
        }
    }

    private static List<String> networkPage(Store store, ByteString node, String network, long nowMs) {
        return ids(run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(node, network, nowMs, 0, 10)));
    }

    @Test
    void announcementsCarryTheNetworkTheyCameFromForSpotChecksAndClaims() throws Exception {
        Store store = store();
        Identity a = Identity.generate();
        Identity b = Identity.generate();
        run(store, tx -> {
            tx.announce(announcement(a, 100, "a.example", Fixtures.commit()), "203.0.113.0/24", 100);
            tx.announce(announcement(b, 150, "b.example"), 150);
            tx.saveReputation(a.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            tx.saveReputation(b.publicId().toByteString(), Reputation.fresh().onValid(1_000).onValid(1_000));
            return null;
        });
        run(store, tx -> {
            tx.announce(announcement(a, 200, "a.example"), "198.51.100.0/24", 200);
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(List.of(), 100, 0, 10)))
                .as("most standing first").containsExactly(
                        new SpotChecks.Candidate(b.publicId().toByteString(), ""),
                        new SpotChecks.Candidate(a.publicId().toByteString(), "198.51.100.0/24"));
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(List.of(), 160, 0, 10)))
                .extracting(SpotChecks.Candidate::key).containsExactly(a.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.nodeSeenOutside("198.51.100.0/24", 100)))
                .as("a node with no network known").isTrue();
        assertThat(run(store, (Store.Transaction tx) -> tx.nodeSeenOutside("198.51.100.0/24", 160))).isFalse();
        assertThat(run(store, (Store.Transaction tx) -> tx.nodeSeenOutside("203.0.113.0/24", 160))).isTrue();
        assertThat(run(store, (Store.Transaction tx) -> tx.nodeSeenOutside("203.0.113.0/24", 201))).isFalse();
    }

    /**
     * A node its volunteer paused says so, and the store keeps its word (migration 32): the node
     * list shows it paused with its reason, and no rule that asks whether a runner is about counts
     * it (the replica hold on the proposer's network, the independent-runner wait, the spot check's
     * draw). Its resume is kept as soon as it is announced, and a copy of the paused announcement sent
     * again after it changes nothing.
     */
    @Test
    void aPausedNodeIsListedPausedAndCountsAsNoRunnerUntilItsResume() throws Exception {
        Store store = store();
        Identity paused = Identity.generate();
        Identity proposers = Identity.generate();
        NodeAnnouncement pausedAt200 = announcement(paused, 200, "p.example").toBuilder().setPaused(true)
                .setNotClaiming("paused by its volunteer").build();
        run(store, tx -> {
            tx.announce(announcement(paused, 100, "p.example"), "198.51.100.0/24", 100);
            tx.announce(announcement(proposers, 100, "q.example"), "203.0.113.0/24", 100);
            tx.saveReputation(paused.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.nodeSeenOutside("203.0.113.0/24", 50))).isTrue();
        run(store, tx -> tx.announce(pausedAt200, "198.51.100.0/24", 200));

        PeerEndpoint listed = run(store, (Store.Transaction tx) -> tx.nodesListedSince(50, 64)).stream()
                .filter(p -> p.getNode().equals(paused.publicId().toByteString())).findFirst().orElseThrow();
        assertThat(listed.getPaused()).isTrue();
        assertThat(listed.getNotClaiming()).isEqualTo("paused by its volunteer");
        assertThat(run(store, (Store.Transaction tx) -> tx.nodesSeenSince(50, 64))).filteredOn(PeerEndpoint::getPaused)
                .extracting(PeerEndpoint::getNotClaiming).containsExactly("paused by its volunteer");
        assertThat(run(store, (Store.Transaction tx) -> tx.announcedAvailability(paused.publicId().toByteString())))
                .contains(new Nodes.Availability(true, "paused by its volunteer"));
        assertThat(run(store, (Store.Transaction tx) -> tx.nodeSeenOutside("203.0.113.0/24", 50)))
                .as("a paused node takes no replica the proposer's network is kept off").isFalse();
        assertThat(run(store, (Store.Transaction tx) -> tx.fittingNodesSeen("any", "203.0.113.0/24", 50)))
                .isEqualTo(new Nodes.FittingNodes(1, false));
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(List.of(), 50, 0, 10)))
                .as("a paused node is drawn for no spot check").isEmpty();
        // Abandonment's counts of the runners an evaluation could still go to: a paused one is none
        assertThat(run(store, (Store.Transaction tx) -> tx.runnersSeenSince(50, 64)))
                .containsExactly(proposers.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.runnersWithStandingSeenSince(50, 64)))
                .as("its standing does not make a paused node a runner").isEmpty();

        run(store, tx -> tx.announce(announcement(paused, 300, "p.example"), "198.51.100.0/24", 300));
        assertThat(run(store, (Store.Transaction tx) -> tx.announce(pausedAt200, "198.51.100.0/24", 310)))
                .as("the paused announcement again, after the resume").isFalse();
        assertThat(run(store, (Store.Transaction tx) -> tx.announcedAvailability(paused.publicId().toByteString())))
                .contains(new Nodes.Availability(false, ""));
        assertThat(run(store, (Store.Transaction tx) -> tx.nodeSeenOutside("203.0.113.0/24", 50))).isTrue();
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(List.of(), 50, 0, 10)))
                .extracting(SpotChecks.Candidate::key).containsExactly(paused.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.runnersSeenSince(50, 64)))
                .as("resumed, most recently seen first")
                .containsExactly(paused.publicId().toByteString(), proposers.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.runnersWithStandingSeenSince(50, 64)))
                .containsExactly(paused.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.announcedAvailability(Identity.generate().publicId()
                .toByteString()))).isEmpty();
    }

    /**
     * A spot check's keys are drawn by network, among keys with standing: an attacker announcing
     * hundreds of fresh keys from a network of its own (the announcement quota allows 1,000 new
     * nodes per address a day) no longer fills the draw and checks itself. Round 27's list was the
     * 64 nodes seen last, every one of them the attacker's: it was chosen every time.
     */
    @Test
    void aSpotCheckDrawsNetworksWithStandingSoFreshKeysOfOneNetworkCannotFillIt() throws Exception {
        Store store = store();
        Identity runner = Identity.generate();
        Identity proposer = Identity.generate();
        Identity runnersOther = Identity.generate();
        List<Identity> honest = new ArrayList<>();
        Set<ByteString> attacker = new java.util.HashSet<>();
        run(store, tx -> {
            tx.announce(announcement(runner, 100, "runner.example"), "81.2.69.0/24", 100);
            tx.announce(announcement(runnersOther, 100, "other.example"), "81.2.69.0/24", 100);
            tx.announce(announcement(proposer, 100, "proposer.example"), "84.17.46.0/24", 100);
            for (Identity key : List.of(runner, runnersOther, proposer)) {
                tx.saveReputation(key.publicId().toByteString(), Reputation.fresh().onValid(1_000).onValid(1_000));
            }
            for (int i = 0; i < 5; i++) {
                Identity key = Identity.generate();
                honest.add(key);
                tx.announce(announcement(key, 110, "h" + i + ".example"), "93.184." + i + ".0/24", 110);
                tx.saveReputation(key.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            }
            // the attacker's network: keys with standing earned there, and many fresh ones seen last
            for (int i = 0; i < 200; i++) {
                Identity key = Identity.generate();
                attacker.add(key.publicId().toByteString());
                tx.announce(announcement(key, 200 + i, "x" + i + ".example"), "198.51.100.0/24", 200 + i);
                if (i < 3) {
                    tx.saveReputation(key.publicId().toByteString(), Reputation.fresh().onValid(1_000));
                }
            }
            return null;
        });
        ByteString runnerKey = runner.publicId().toByteString();
        ByteString proposerKey = proposer.publicId().toByteString();
        List<SpotChecks.Candidate> candidates = run(store, (Store.Transaction tx) ->
                tx.spotCheckCandidates(List.of(runnerKey, proposerKey), 100, 0, 64));
        java.util.Random random = new java.util.Random(27);
        int picks = 0;
        int theirs = 0;
        for (int i = 0; i < 2_000; i++) {
            for (ByteString key : SpotChecks.choose(runnerKey, proposerKey, candidates, random::nextDouble)) {
                picks++;
                theirs += attacker.contains(key) ? 1 : 0;
            }
        }
        assertThat((double) theirs / picks).as("the attacker's share of the keys chosen: one network in six")
                .isBetween(0.12, 0.22);
        assertThat(candidates).as("one key for each network with standing, none of the runner's or proposer's")
                .hasSize(6).extracting(SpotChecks.Candidate::network).doesNotHaveDuplicates()
                .doesNotContain("81.2.69.0/24", "84.17.46.0/24");
    }

    /**
     * A host is a node's own word: a liar and its proposer announcing the hosts of the keys with
     * standing left them out of the draw (round 30), so a young network's draw was empty and the
     * tie-breaker open at once to the liar's second network. Only what the coordinator saw leaves a
     * key out: one address seen from two keys (a private address is a network whole, a public
     * one's /24 holds it) still does.
     */
    @Test
    void aLiarAnnouncingTheHostsOfKeysWithStandingDoesNotKeepThemOutButAnAddressSeenFromBothDoes()
            throws Exception {
        Store store = store();
        Identity liar = Identity.generate();
        Identity proposer = Identity.generate();
        Identity first = Identity.generate();
        Identity second = Identity.generate();
        Identity sameMachine = Identity.generate();
        Identity lanNeighbour = Identity.generate();
        run(store, tx -> {
            tx.announce(announcement(first, 100, "first.example"), "84.17.46.0/24", 100);
            tx.announce(announcement(second, 100, "second.example"), "84.17.47.0/24", 100);
            tx.announce(announcement(lanNeighbour, 100, "10.0.0.8"), "10.0.0.8", 100);
            // the liar's keys announce the others' hosts, from networks of their own
            tx.announce(announcement(liar, 110, "first.example"), "81.2.69.0/24", 110);
            tx.announce(announcement(proposer, 110, "second.example"), "10.0.0.7", 110);
            // a second key of the proposer on its machine: the coordinator saw the same address
            tx.announce(announcement(sameMachine, 110, "elsewhere.example"), "10.0.0.7", 110);
            for (Identity key : List.of(first, second, sameMachine, lanNeighbour)) {
                tx.saveReputation(key.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            }
            return null;
        });
        List<ByteString> excluded = List.of(liar.publicId().toByteString(), proposer.publicId().toByteString());
        List<SpotChecks.Candidate> candidates = run(store,
                (Store.Transaction tx) -> tx.spotCheckCandidates(excluded, 50, 0, 64));
        assertThat(candidates).extracting(SpotChecks.Candidate::key).as("the hosts the liar named leave nobody out")
                .containsExactlyInAnyOrder(first.publicId().toByteString(), second.publicId().toByteString(),
                        lanNeighbour.publicId().toByteString());
        assertThat(SpotChecks.choose(excluded, candidates, () -> 0.0)).hasSize(3)
                .doesNotContain(sameMachine.publicId().toByteString());
    }

    /**
     * A key drawn for a check must be able to claim it: one whose announced class does not fit the
     * seed's held a place of the draw for nothing, and once the hold passed the tie-breaker was
     * anyone's (the liar's second network's). Each network offers its best key that fits.
     */
    @Test
    void aSpotCheckDrawsOnlyKeysWhoseAnnouncedClassFitsTheSeeds() throws Exception {
        Store store = store();
        Identity cpu = Identity.generate();
        Identity gpu = Identity.generate();
        Identity cpuVeteran = Identity.generate();
        Identity gpuBeside = Identity.generate();
        run(store, tx -> {
            tx.announce(classed(cpu, "cpu:x86_64"), "84.17.46.0/24", 100);
            tx.announce(classed(gpu, "gpu:nvidia-h100"), "84.17.47.0/24", 100);
            // one network: its most valid key is a CPU's, a GPU beside it has fewer
            tx.announce(classed(cpuVeteran, "cpu:arm64"), "84.17.48.0/24", 100);
            tx.announce(classed(gpuBeside, "gpu:nvidia_a100%"), "84.17.48.0/24", 100);
            tx.saveReputation(cpu.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            tx.saveReputation(gpu.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            tx.saveReputation(cpuVeteran.publicId().toByteString(), Reputation.fresh().onValid(1_000).onValid(1_000));
            tx.saveReputation(gpuBeside.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(List.of(), "gpu:nvidia", 50, 0, 64)))
                .extracting(SpotChecks.Candidate::key)
                .containsExactlyInAnyOrder(gpu.publicId().toByteString(), gpuBeside.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(List.of(), "gpu:nvidia_", 50, 0, 64)))
                .as("a class's '_' is no pattern").extracting(SpotChecks.Candidate::key)
                .containsExactly(gpuBeside.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(List.of(), "any", 50, 0, 64)))
                .as("one per network").hasSize(3).extracting(SpotChecks.Candidate::key)
                .contains(cpuVeteran.publicId().toByteString()).doesNotContain(gpuBeside.publicId().toByteString());
    }

    private static NodeAnnouncement classed(Identity node, String hardwareClass) {
        return announcement(node, 100, "n.example").toBuilder().setHardwareClass(hardwareClass).build();
    }

    /**
     * A runner may announce from one network and claim from another: the networks its leases were
     * claimed from are its own too (a proposer's explorations' as well), and so are a key's that
     * claimed evaluations from the runner's. Until round 28 only announcements counted, so a second
     * key announcing from the network the runner claimed from (or claiming from the one it
     * announced from) was chosen to check it.
     */
    @Test
    void aSpotCheckLeavesOutTheNetworksTheRunnerClaimedFromAndKeysThatClaimedFromItsNetworks() throws Exception {
        Store store = store();
        Identity runner = Identity.generate();
        Identity proposer = Identity.generate();
        Identity announcedWhereRunnerClaimed = Identity.generate();
        Identity announcedWhereProposerExplored = Identity.generate();
        Identity claimedWhereRunnerAnnounced = Identity.generate();
        Identity honest = Identity.generate();
        Identity leasedThereLongAgo = Identity.generate();
        run(store, tx -> {
            tx.announce(announcement(runner, 1_000, "runner.example"), "81.2.69.0/24", 1_000);
            tx.recordLease("u-runner", runner.publicId().toByteString(), 900, ByteString.EMPTY, 900,
                    "62.3.4.0/24", "62.3.4.7", "");
            tx.recordLease("u-explore", proposer.publicId().toByteString(), 900, ByteString.EMPTY, 900, "", "5.6.7.8", "");
            tx.announce(announcement(announcedWhereRunnerClaimed, 1_000, "b.example"), "62.3.4.0/24", 1_000);
            tx.announce(announcement(announcedWhereProposerExplored, 1_000, "p.example"), "5.6.7.0/24", 1_000);
            tx.announce(announcement(claimedWhereRunnerAnnounced, 1_000, "c.example"), "84.17.46.0/24", 1_000);
            tx.recordLease("u-sybil", claimedWhereRunnerAnnounced.publicId().toByteString(), 950, ByteString.EMPTY,
                    950, "81.2.69.0/24", "81.2.69.9", "");
            tx.announce(announcement(honest, 1_000, "h.example"), "93.184.1.0/24", 1_000);
            tx.announce(announcement(leasedThereLongAgo, 1_000, "old.example"), "93.184.2.0/24", 1_000);
            tx.recordLease("u-old", leasedThereLongAgo.publicId().toByteString(), 10, ByteString.EMPTY, 10,
                    "81.2.69.0/24", "81.2.69.10", "");
            for (Identity key : List.of(runner, announcedWhereRunnerClaimed, announcedWhereProposerExplored,
                    claimedWhereRunnerAnnounced, honest, leasedThereLongAgo)) {
                tx.saveReputation(key.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            }
            return null;
        });
        List<ByteString> excluded = List.of(runner.publicId().toByteString(), proposer.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(excluded, 500, 100, 64)))
                .extracting(SpotChecks.Candidate::key).as("leases before the window do not count")
                .containsExactlyInAnyOrder(honest.publicId().toByteString(), leasedThereLongAgo.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(excluded, 500, 0, 64)))
                .extracting(SpotChecks.Candidate::key).containsExactly(honest.publicId().toByteString());
    }

    /**
     * A result's network and an experiment's are stored with them (migration 30) and count as their
     * keys' beside announcements and leases: a runner may claim from one network and report from
     * another, and a proposer that registers its own commit claims nothing. Until then a key that
     * announced from the network the runner reported from (or the proposer registered from) was
     * chosen to check them, and so was a key that reported or proposed from the runner's network.
     */
    @Test
    void aSpotCheckLeavesOutTheNetworksResultsWereSentFromAndExperimentsRegisteredFrom() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
        Identity runner = Identity.generate();
        Identity proposer = Identity.generate();
        Identity announcedWhereRunnerReported = Identity.generate();
        Identity announcedWhereProposerRegistered = Identity.generate();
        Identity reportedWhereRunnerAnnounced = Identity.generate();
        Identity proposedWhereRunnerAnnounced = Identity.generate();
        Identity honest = Identity.generate();
        String commit = Fixtures.commit();
        Experiment experiment = Fixtures.experiment(proposer, "tiny-lm", "d", commit, seed.getCommit(), 3);
        Experiment sybils = Fixtures.experiment(proposedWhereRunnerAnnounced, "tiny-lm", "d", Fixtures.commit(),
                seed.getCommit(), 3);
        WorkUnit unit = WorkUnit.newBuilder().setId("u1").setSeed("tiny-lm").setDirection("d").setCommit(commit).build();
        Result reported = Fixtures.result(runner, unit, 2.0, 30);
        Result sybilsResult = Fixtures.result(reportedWhereRunnerAnnounced,
                unit.toBuilder().setId("u2").build(), 2.0, 30);
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
            tx.insertExperiment(experiment, Envelopes.sign(proposer, experiment), 3, "5.6.7.0/24");
            tx.insertExperiment(sybils, Envelopes.sign(proposedWhereRunnerAnnounced, sybils), 3, "81.2.69.0/24");
            tx.announce(announcement(runner, 1_000, "runner.example"), "81.2.69.0/24", 1_000);
            tx.recordLease("u1", runner.publicId().toByteString(), 900, ByteString.EMPTY, 900,
                    "62.3.4.0/24", "62.3.4.7", "");
            SignedEnvelope e1 = Envelopes.sign(runner, reported);
            tx.insertResult(reported, e1, Envelopes.id(e1), 950, "198.51.100.0/24");
            SignedEnvelope e2 = Envelopes.sign(reportedWhereRunnerAnnounced, sybilsResult);
            tx.insertLateResult(sybilsResult, e2, Envelopes.id(e2), 960, "81.2.69.0/24");
            tx.announce(announcement(announcedWhereRunnerReported, 1_000, "a.example"), "198.51.100.0/24", 1_000);
            tx.announce(announcement(announcedWhereProposerRegistered, 1_000, "b.example"), "5.6.7.0/24", 1_000);
            tx.announce(announcement(reportedWhereRunnerAnnounced, 1_000, "c.example"), "84.17.46.0/24", 1_000);
            tx.announce(announcement(proposedWhereRunnerAnnounced, 1_000, "d.example"), "84.17.47.0/24", 1_000);
            tx.announce(announcement(honest, 1_000, "h.example"), "93.184.1.0/24", 1_000);
            for (Identity key : List.of(runner, announcedWhereRunnerReported, announcedWhereProposerRegistered,
                    reportedWhereRunnerAnnounced, proposedWhereRunnerAnnounced, honest)) {
                tx.saveReputation(key.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            }
            return null;
        });
        List<ByteString> excluded = List.of(runner.publicId().toByteString(), proposer.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(excluded, 500, 0, 64)))
                .extracting(SpotChecks.Candidate::key).containsExactly(honest.publicId().toByteString());
        // and the other way round: the runner reported from the checked key's network
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(
                List.of(announcedWhereRunnerReported.publicId().toByteString()), 500, 0, 64)))
                .extracting(SpotChecks.Candidate::key).doesNotContain(runner.publicId().toByteString())
                .contains(honest.publicId().toByteString());
    }

    /**
     * The networks a key reported and proposed from are its own for {@code networksSinceMs} on
     * (SpotChecks.NETWORKS_REMEMBERED), as its leases' are: a volunteer who reported from a
     * network it has since left (it moved house, its NAT changed) checks and is checked by where
     * it is now. Until round 30 they counted for as long as the rows existed.
     */
    @Test
    void theNetworksAKeyReportedAndProposedFromCountWithinTheWindowOnly() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
        Identity runner = Identity.generate();
        Identity proposer = Identity.generate();
        Identity whereRunnerReported = Identity.generate();
        Identity whereProposerRegistered = Identity.generate();
        String commit = Fixtures.commit();
        Experiment experiment = Fixtures.experiment(proposer, "tiny-lm", "d", commit, seed.getCommit(), 3);
        WorkUnit unit = WorkUnit.newBuilder().setId("u1").setSeed("tiny-lm").setDirection("d").setCommit(commit).build();
        Result reported = Fixtures.result(runner, unit, 2.0, 30);
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
            tx.insertExperiment(experiment, Envelopes.sign(proposer, experiment), 3_000, "5.6.7.0/24");
            SignedEnvelope e1 = Envelopes.sign(runner, reported);
            tx.insertResult(reported, e1, Envelopes.id(e1), 4_000, "198.51.100.0/24");
            tx.announce(announcement(runner, 9_000, "runner.example"), "81.2.69.0/24", 9_000);
            tx.announce(announcement(whereRunnerReported, 9_000, "a.example"), "198.51.100.0/24", 9_000);
            tx.announce(announcement(whereProposerRegistered, 9_000, "b.example"), "5.6.7.0/24", 9_000);
            for (Identity key : List.of(runner, whereRunnerReported, whereProposerRegistered)) {
                tx.saveReputation(key.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            }
            return null;
        });
        List<ByteString> excluded = List.of(runner.publicId().toByteString(), proposer.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(excluded, 8_000, 3_000, 64)))
                .as("both rows within the window").isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(excluded, 8_000, 3_001, 64)))
                .as("the experiment before it, the result within").extracting(SpotChecks.Candidate::key)
                .containsExactly(whereProposerRegistered.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(excluded, 8_000, 4_001, 64)))
                .as("both before it").extracting(SpotChecks.Candidate::key)
                .containsExactlyInAnyOrder(whereProposerRegistered.publicId().toByteString(),
                        whereRunnerReported.publicId().toByteString());
        // and the other way round: the runner, checking a key of the network it once reported from
        List<ByteString> other = List.of(whereRunnerReported.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(other, 8_000, 4_000, 64)))
                .extracting(SpotChecks.Candidate::key).doesNotContain(runner.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.spotCheckCandidates(other, 8_000, 4_001, 64)))
                .extracting(SpotChecks.Candidate::key).contains(runner.publicId().toByteString());
    }

    /**
     * The lists a node is given (where it joins, who holds a commit) hold a bounded share per
     * network: keys are free (1,000 new ones per address a day), and round 27's lists were the
     * nodes seen last, every one of them a flood's. Keys with standing come first; a quarter of
     * the places stay open to fresh keys, so a new honest volunteer is still listed.
     */
    @Test
    void aFloodOfFreshKeysFromTwoNetworksTakesAFewPlacesInTheListsOfNodesAndHolders() throws Exception {
        Store store = store();
        String commit = Fixtures.commit();
        Set<ByteString> honest = new java.util.HashSet<>();
        Set<ByteString> attacker = new java.util.HashSet<>();
        run(store, tx -> {
            for (int i = 0; i < 10; i++) {
                Identity key = Identity.generate();
                honest.add(key.publicId().toByteString());
                tx.announce(announcement(key, 100, "h" + i + ".example", commit), "93.184." + i + ".0/24", 100);
                if (i < 3) {
                    tx.saveReputation(key.publicId().toByteString(), Reputation.fresh().onValid(1_000));
                }
            }
            for (int i = 0; i < 300; i++) {
                Identity key = Identity.generate();
                attacker.add(key.publicId().toByteString());
                tx.announce(announcement(key, 200 + i, "x" + i + ".example", commit),
                        i % 2 == 0 ? "198.51.100.0/24" : "203.0.113.0/24", 200 + i);
            }
            return null;
        });
        List<PeerEndpoint> nodes = run(store, (Store.Transaction tx) -> tx.nodesListedSince(100, 64));
        assertThat(nodes).extracting(PeerEndpoint::getNode).as("every honest node, standing first")
                .containsAll(honest).filteredOn(attacker::contains).hasSize(8);
        assertThat(nodes).hasSize(18);
        assertThat(nodes.subList(0, 3)).extracting(PeerEndpoint::getNode).allMatch(honest::contains);
        List<PeerEndpoint> holders = run(store, (Store.Transaction tx) -> tx.peers(commit, 100));
        assertThat(holders).extracting(PeerEndpoint::getNode).containsAll(honest).filteredOn(attacker::contains)
                .hasSize(12);

        // 70 networks with standing cannot push a new volunteer out either
        Identity newcomer = Identity.generate();
        run(store, tx -> {
            for (int i = 0; i < 70; i++) {
                Identity key = Identity.generate();
                tx.announce(announcement(key, 600, "s" + i + ".example"), "101." + (i + 1) + ".7.0/24", 600);
                tx.saveReputation(key.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            }
            tx.announce(announcement(newcomer, 500, "new.example"), "81.2.69.0/24", 500);
            return null;
        });
        List<PeerEndpoint> crowded = run(store, (Store.Transaction tx) -> tx.nodesListedSince(100, 64));
        assertThat(crowded).hasSize(64).extracting(PeerEndpoint::getNode).contains(newcomer.publicId().toByteString());
        assertThat(crowded).extracting(PeerEndpoint::getNode).filteredOn(attacker::contains).hasSizeLessThanOrEqualTo(8);
    }

    /**
     * The holders of a commit are ranked alike however a store reads them (SQLite ranks a few
     * holders in Java, more and PostgreSQL in SQL's windows): standing first, then fresh keys,
     * every network's first before any one's second, newest first within each, a network's share
     * bounded ({@link dev.rhizome.coordinator.core.PeerListing}).
     */
    @Test
    void aCommitsFewHoldersAreRankedByStandingThenNetworkThenRecency() throws Exception {
        Store store = store();
        String commit = Fixtures.commit();
        Identity a1 = Identity.generate(), a2 = Identity.generate(), a3 = Identity.generate();
        Identity b1 = Identity.generate(), b2 = Identity.generate(), c1 = Identity.generate(), d1 = Identity.generate();
        run(store, tx -> {
            tx.announce(announcement(a1, 100, "a1.example", commit), "93.184.1.0/24", 100);
            tx.announce(announcement(a2, 300, "a2.example", commit), "93.184.1.0/24", 300);
            tx.announce(announcement(a3, 200, "a3.example", commit), "93.184.1.0/24", 200);
            tx.announce(announcement(b1, 250, "b1.example", commit), "93.184.2.0/24", 250);
            tx.announce(announcement(b2, 150, "b2.example", commit), "93.184.2.0/24", 150);
            tx.announce(announcement(c1, 400, "c1.example", commit), "", 400);  // no network known: its own
            tx.announce(announcement(d1, 50, "d1.example", commit), "93.184.4.0/24", 50);
            tx.saveReputation(a1.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            tx.saveReputation(d1.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            return null;
        });

        // 32 places: two a network
        assertThat(run(store, (Store.Transaction tx) -> tx.peers(commit, 32))).extracting(PeerEndpoint::getHost)
                .containsExactly("a1.example", "d1.example", "c1.example", "b1.example", "a2.example", "b2.example");
        // 8 places (a claim's): one a network, two kept for fresh keys
        assertThat(run(store, (Store.Transaction tx) -> tx.peers(commit, 8))).extracting(PeerEndpoint::getHost)
                .containsExactly("a1.example", "d1.example", "c1.example", "b1.example");
    }

    private static List<String> page(Store store, ByteString node, long nowMs, int offset, int limit) {
        return run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(node, nowMs, offset, limit)).stream()
                .map(UnitRecord::id).toList();
    }

    private static List<String> ids(List<UnitRecord> units) {
        return units.stream().map(UnitRecord::id).toList();
    }

    /**
     * A store may keep the open units in memory for the claim page: the page follows every way a
     * unit enters or leaves the queue (insert, lease, expiry, an unfetchable report reopening it,
     * done), in the claim order (a unit back from a lease takes its old place), inside the writing
     * transaction and after it, never keeps what a rolled-back transaction wrote, and is the same
     * when the database is opened again.
     */
    @Test
    void theClaimPageFollowsTheOpenQueueThroughLeasesExpiriesReopeningAndRollbacks() throws Exception {
        Store store = store();
        Identity runnerB = Identity.generate();
        ByteString a = Identity.generate().publicId().toByteString();
        ByteString b = runnerB.publicId().toByteString();
        String c1 = Fixtures.commit();
        String c2 = Fixtures.commit();
        String c3 = Fixtures.commit();
        run(store, tx -> {
            tx.insertUnit(evaluation("u1", c1, 1));
            tx.setUnitRandomSeed("u1", 1);
            tx.insertUnit(evaluation("u2", c2, 2));
            tx.setUnitRandomSeed("u2", 1);
            tx.insertUnit(evaluation("u3", c3, 3));
            tx.setUnitRandomSeed("u3", 1);
            tx.insertUnit(UnitRecord.open("x1", WorkUnit.Kind.EXPLORE, "tiny-lm", "d", c1, "", ByteString.EMPTY, 4));
            return null;
        });
        assertThat(page(store, b, 0, 0, 10)).containsExactly("u1", "u2", "u3");
        assertThat(page(store, b, 0, 1, 1)).containsExactly("u2");
        assertThat(page(store, b, 0, 3, 10)).isEmpty();

        run(store, tx -> {
            tx.updateUnit(tx.unit("u1").orElseThrow().leasedTo(a, 1_000));
            assertThat(ids(tx.openEvaluationsFor(b, 0, 0, 10))).as("in the leasing transaction")
                    .containsExactly("u2", "u3");
            return null;
        });
        assertThat(page(store, b, 0, 0, 10)).containsExactly("u2", "u3");
        assertThatThrownBy(() -> run(store, tx -> {
            tx.updateUnit(tx.unit("u1").orElseThrow().expired());
            tx.updateUnit(tx.unit("u3").orElseThrow().leasedTo(b, 1_000));
            assertThat(ids(tx.openEvaluationsFor(b, 0, 0, 10))).containsExactly("u1", "u2");
            throw new IllegalStateException("rolled back");
        })).hasMessage("rolled back");
        assertThat(page(store, b, 0, 0, 10)).as("after the rollback").containsExactly("u2", "u3");

        List<String> expired = run(store, tx -> {
            List<UnitRecord> due = tx.expiredLeases(1_001);
            due.forEach(u -> tx.updateUnit(u.expired()));
            return ids(due);
        });
        assertThat(expired).containsExactly("u1");
        assertThat(page(store, b, 0, 0, 10)).as("an expired unit goes back to its place").containsExactly("u1", "u2", "u3");
        assertThat(run(store, (Store.Transaction tx) -> tx.openEvaluationsFor(b, 0, 0, 1)))
                .as("with its row as written").extracting(UnitRecord::expiredLeases, UnitRecord::holder)
                .containsExactly(tuple(1, a));

        run(store, tx -> {
            tx.updateUnit(tx.unit("u2").orElseThrow().leasedTo(a, 2_000));
            return null;
        });
        assertThat(page(store, a, 0, 0, 10)).containsExactly("u1", "u3");
        run(store, tx -> {
            tx.updateUnit(tx.unit("u2").orElseThrow().reopened());  // an unfetchable report
            return null;
        });
        assertThat(page(store, b, 0, 0, 10)).as("a reopened unit too").containsExactly("u1", "u2", "u3");

        // b reports on u3: a new replica of u3's trial is not for b, one at another seed is
        WorkUnit asLeased = WorkUnit.newBuilder().setId("u3").setSeed("tiny-lm").setDirection("d").setCommit(c3)
                .setRandomSeed(1).build();
        Result result = Fixtures.result(runnerB, asLeased, 2.0, 30);
        SignedEnvelope envelope = Envelopes.sign(runnerB, result);
        run(store, tx -> {
            tx.updateUnit(tx.unit("u3").orElseThrow().leasedTo(b, 3_000));
            return null;
        });
        run(store, tx -> {
            tx.insertResult(result, envelope, Envelopes.id(envelope), 30);
            tx.updateUnit(tx.unit("u3").orElseThrow().doneBy(b));
            tx.insertUnit(evaluation("u4", c3, 31));
            tx.setUnitRandomSeed("u4", 1);
            tx.insertUnit(evaluation("u5", c3, 32));
            tx.setUnitRandomSeed("u5", 2);
            assertThat(ids(tx.openEvaluationsFor(b, 0, 0, 10))).as("in the inserting transaction")
                    .containsExactly("u1", "u2", "u5");
            return null;
        });
        assertThat(page(store, b, 0, 0, 10)).containsExactly("u1", "u2", "u5");
        assertThat(page(store, a, 0, 0, 10)).containsExactly("u1", "u2", "u4", "u5");
        assertThat(page(store, a, 0, 2, 1)).containsExactly("u4");
        assertThatThrownBy(() -> run(store, tx -> {
            tx.insertUnit(evaluation("u6", c1, 40));
            assertThat(ids(tx.openEvaluationsFor(a, 0, 0, 10))).containsExactly("u1", "u2", "u4", "u5", "u6");
            throw new IllegalStateException("rolled back");
        })).hasMessage("rolled back");
        assertThat(page(store, a, 0, 0, 10)).containsExactly("u1", "u2", "u4", "u5");
        run(store, tx -> {
            tx.updateUnit(tx.unit("u1").orElseThrow().doneBy(ByteString.EMPTY));  // withdrawn
            return null;
        });
        assertThat(page(store, a, 0, 0, 10)).containsExactly("u2", "u4", "u5");

        store.close();  // one owner at a time: the SQLite store refuses a second one on its file
        Store reopened = store();
        assertThat(page(reopened, a, 0, 0, 10)).as("read again from the table").containsExactly("u2", "u4", "u5");
        assertThat(page(reopened, b, 0, 0, 10)).containsExactly("u2", "u5");
        assertThat(run(reopened, (Store.Transaction tx) -> tx.openEvaluationsFor(a, 0, 0, 10)))
                .isEqualTo(run(reopened, (Store.Transaction tx) -> tx.openEvaluations().stream()
                        .filter(u -> !u.id().equals("u1")).toList()));
    }

    /** An open queue first read inside a transaction that wrote units and then rolled back is not kept with its writes. */
    @Test
    void anOpenQueueFirstReadInsideARolledBackTransactionIsNotKeptWithItsWrites() throws Exception {
        Store store = store();
        ByteString node = Identity.generate().publicId().toByteString();
        run(store, tx -> {
            tx.insertUnit(evaluation("u1", Fixtures.commit(), 1));
            return null;
        });
        store.close();
        Store reopened = store();  // nothing read yet
        assertThatThrownBy(() -> run(reopened, tx -> {
            tx.updateUnit(tx.unit("u1").orElseThrow().leasedTo(node, 5_000));
            tx.insertUnit(evaluation("u2", Fixtures.commit(), 2));
            assertThat(ids(tx.openEvaluationsFor(node, 0, 0, 10))).containsExactly("u2");
            throw new IllegalStateException("rolled back");
        })).hasMessage("rolled back");
        assertThat(page(reopened, node, 0, 0, 10)).containsExactly("u1");
    }

    /** A store may keep the open queue: it follows reservations and a key's leases of the same trial too. */
    @Test
    void theOpenQueueLeavesOutTrialsAKeyHoldsAndUnitsReservedForOthers() throws Exception {
        Store store = store();
        ByteString a = Identity.generate().publicId().toByteString();
        ByteString b = Identity.generate().publicId().toByteString();
        String commit = Fixtures.commit();
        run(store, tx -> {
            for (String id : List.of("u1", "u2", "u3")) {
                tx.insertUnit(evaluation(id, commit, 1));
                tx.setUnitRandomSeed(id, id.equals("u3") ? 9 : 7);
            }
            tx.insertUnit(evaluation("n1", commit, 2));  // no random seed: its own trial
            return null;
        });
        assertThat(page(store, a, 0, 0, 10)).containsExactly("u1", "u2", "u3", "n1");
        run(store, tx -> {
            tx.updateUnit(tx.unit("n1").orElseThrow().leasedTo(a, 5_000));
            tx.updateUnit(tx.unit("u1").orElseThrow().leasedTo(a, 5_000));
            return null;
        });
        assertThat(page(store, a, 0, 0, 10)).containsExactly("u3");
        assertThat(page(store, b, 0, 0, 10)).containsExactly("u2", "u3");
        run(store, tx -> {
            tx.reserveUnit("u2", List.of(a), 1_000);
            return null;
        });
        assertThat(page(store, b, 500, 0, 10)).containsExactly("u3");
        assertThat(page(store, b, 1_001, 0, 10)).containsExactly("u2", "u3");
        run(store, tx -> {
            tx.updateUnit(tx.unit("u1").orElseThrow().expired());
            return null;
        });
        assertThat(page(store, a, 500, 0, 10)).as("the trial is no longer held; u2 is reserved for a")
                .containsExactly("u1", "u2", "u3");
    }

    /** A store may keep leased units' rows: a unit reads as last committed, and as written inside its transaction. */
    @Test
    void aLeasedUnitReadsAsWrittenAcrossTransactionsAndRollbacks() throws Exception {
        Store store = store();
        ByteString holder = Identity.generate().publicId().toByteString();
        UnitRecord open = evaluation("u1", Fixtures.commit(), 1);
        UnitRecord leased = open.leasedTo(holder, 5_000);
        run(store, tx -> {
            tx.insertUnit(open);
            return null;
        });
        run(store, tx -> {
            tx.updateUnit(leased);
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.unit("u1"))).contains(leased);
        UnitRecord renewed = leased.withDeadline(9_000);
        assertThatThrownBy(() -> run(store, tx -> {
            tx.updateUnit(renewed);
            assertThat(tx.unit("u1")).contains(renewed);
            throw new IllegalStateException("rolled back");
        })).hasMessage("rolled back");
        assertThat(run(store, (Store.Transaction tx) -> tx.unit("u1"))).as("after the rollback").contains(leased);
        run(store, tx -> {
            tx.updateUnit(renewed);
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.unit("u1"))).contains(renewed);
        run(store, tx -> {
            tx.updateUnit(renewed.doneBy(holder));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.unit("u1"))).contains(renewed.doneBy(holder));
    }

    /** Leases first read by a transaction that wrote a lease and then rolled back are not remembered with it. */
    @Test
    void leasesFirstReadInsideARolledBackTransactionAreNotKeptWithItsWrites() throws Exception {
        Store store = store();
        ByteString holder = Identity.generate().publicId().toByteString();
        UnitRecord leased = evaluation("u1", Fixtures.commit(), 1).leasedTo(holder, 5_000);
        assertThatThrownBy(() -> run(store, tx -> {
            tx.insertUnit(leased);
            assertThat(tx.leasesHeldBy(holder)).isEqualTo(1);
            assertThat(tx.unit("u1")).contains(leased);
            throw new IllegalStateException("rolled back");
        })).hasMessage("rolled back");
        assertThat(run(store, (Store.Transaction tx) -> tx.leasesHeldBy(holder))).isZero();
        assertThat(run(store, (Store.Transaction tx) -> tx.unit("u1"))).isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.expiredLeases(6_000))).isEmpty();
    }

    @Test
    void aUnitsLeaseHoldersAreEachKeyItWasLeasedToOnce() throws Exception {
        Store store = store();
        ByteString a = Identity.generate().publicId().toByteString();
        ByteString b = Identity.generate().publicId().toByteString();
        run(store, tx -> {
            tx.insertUnit(evaluation("u1", Fixtures.commit(), 1));
            tx.insertUnit(evaluation("u2", Fixtures.commit(), 2));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.leaseHolders("u1"))).isEmpty();
        run(store, tx -> {
            leased(tx, "u1", a, 10);
            leased(tx, "u1", a, 20);
            leased(tx, "u1", b, 30);
            leased(tx, "u2", b, 30);
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.leaseHolders("u1"))).containsExactlyInAnyOrder(a, b);
        assertThat(run(store, (Store.Transaction tx) -> tx.leaseHolders("u2"))).containsExactly(b);
        assertThat(run(store, (Store.Transaction tx) -> {
            leased(tx, "u2", a, 40);
            return tx.leaseHolders("u2");
        })).as("a transaction reads its own leases").containsExactlyInAnyOrder(a, b);
    }

    @Test
    void aLeaseIsFoundByTheNonceOfTheClaimThatTookIt() throws Exception {
        Store store = store();
        ByteString a = Identity.generate().publicId().toByteString();
        ByteString b = Identity.generate().publicId().toByteString();
        ByteString nonce = Fixtures.nonce();
        run(store, tx -> {
            tx.insertUnit(evaluation("n1", Fixtures.commit(), 1));
            tx.insertUnit(evaluation("n2", Fixtures.commit(), 2));
            tx.recordLease("n1", a, 100, nonce, 100, "", "", "");
            leased(tx, "n2", a, 110);  // a lease no claim nonce names (an older coordinator's)
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.unitClaimedWith(a, nonce, 50))).contains("n1");
        assertThat(run(store, (Store.Transaction tx) -> tx.unitClaimedWith(b, nonce, 50)))
                .as("another key's claim with the same bytes of nonce").isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.unitClaimedWith(a, Fixtures.nonce(), 50)))
                .isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.unitClaimedWith(a, nonce, 101))).as("older than asked").isEmpty();
    }

    @Test
    void anAbandonedExperimentKeepsItsReasonAndItsPendingUnitsAreListed() throws Exception {
        Store store = store();
        String commit = Fixtures.commit();
        String other = Fixtures.commit();
        ByteString node = Identity.generate().publicId().toByteString();
        run(store, tx -> {
            tx.insertUnit(evaluation("a1", commit, 10));
            tx.insertUnit(evaluation("a2", commit, 11));
            tx.insertUnit(evaluation("a3", commit, 12));
            tx.insertUnit(evaluation("b1", other, 13));
            tx.updateUnit(tx.unit("a2").orElseThrow().leasedTo(node, 1_000));
            tx.updateUnit(tx.unit("a3").orElseThrow().doneBy(node));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.pendingUnitsOfCommit(commit))).extracting(UnitRecord::id)
                .as("OPEN and LEASED units of the commit, oldest first").containsExactly("a1", "a2");
        assertThat(run(store, (Store.Transaction tx) -> tx.abandonment(commit))).isEmpty();
        run(store, tx -> {
            tx.abandonExperiment(commit, "nobody could fetch it", 50);
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.abandonment(commit))).contains("nobody could fetch it");
        run(store, tx -> {
            tx.abandonExperiment(commit, "still nobody", 60);
            return null;
        });
        store.close(); // one owner at a time: the SQLite store refuses a second one on its file
        Store reopened = store();
        assertThat(run(reopened, (Store.Transaction tx) -> tx.abandonment(commit))).contains("still nobody");
        assertThat(run(reopened, (Store.Transaction tx) -> tx.abandonment(other))).isEmpty();
    }

    @Test
    void papersAndAnnouncementsReplaceWhatANodeHolds() throws Exception {
        Store store = store();
        Identity node = Identity.generate();
        String c1 = Fixtures.commit();
        String c2 = Fixtures.commit();
        Paper paper = Paper.newBuilder().setDirection("d").setTitle("<b>t</b>")
                .setAuthor(node.publicId().toByteString()).build();
        SignedEnvelope paperEnvelope = Envelopes.sign(node, paper);
        run(store, tx -> {
            tx.insertPaper(paper, paperEnvelope, Envelopes.id(paperEnvelope), 5);
            tx.announce(announcement(node, 1, "10.0.0.1", c1, c2), 100);
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.hasPaper(Envelopes.id(paperEnvelope)))).isTrue();
        assertThat(run(store, (Store.Transaction tx) -> tx.papers("d"))).containsExactly(paperEnvelope);
        assertThat(run(store, (Store.Transaction tx) -> tx.papers("e"))).isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.peers(c1, 10))).extracting(PeerEndpoint::getHost).containsExactly("10.0.0.1");

        run(store, tx -> {
            tx.announce(announcement(node, 2, "10.0.0.2", c2, c2), 200);
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.peers(c1, 10))).isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.peers(c2, 10))).extracting(PeerEndpoint::getHost).containsExactly("10.0.0.2");
        assertThat(run(store, (Store.Transaction tx) -> tx.peers("", 10))).hasSize(1);
        assertThat(run(store, (Store.Transaction tx) -> tx.nodesSeenSince(200, 10)))
                .as("with the class it announced, which a waiting client compares with a seed's")
                .extracting(PeerEndpoint::getHardwareClass).containsExactly("cpu:x86_64");
        assertThat(run(store, (Store.Transaction tx) -> tx.nodesSeenSince(201, 10))).isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.runnersWithStandingSeenSince(200, 10)))
                .as("no valid result on record yet").isEmpty();
        run(store, tx -> {
            tx.saveReputation(node.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            return null;
        });
        assertThat(run(store, (Store.Transaction tx) -> tx.runnersWithStandingSeenSince(200, 10)))
                .containsExactly(node.publicId().toByteString());
        assertThat(run(store, (Store.Transaction tx) -> tx.runnersWithStandingSeenSince(201, 10))).isEmpty();
    }

    /**
     * A heartbeat announces what the node holds again, mostly unchanged: afterwards it is a holder of
     * exactly what it announced last (kept, dropped, added alike), and another node's holdings of
     * the same commits are untouched.
     */
    @Test
    void aHeartbeatLeavesANodeHoldingExactlyWhatItAnnouncedLast() throws Exception {
        Store store = store();
        Identity a = Identity.generate();
        Identity b = Identity.generate();
        String[] c = new String[8];
        for (int i = 0; i < c.length; i++) {
            c[i] = Fixtures.commit();
        }
        run(store, tx -> {
            tx.announce(announcement(a, 1, "10.0.0.1", c[1], c[2], c[3], c[4], c[5]), 100);
            tx.announce(announcement(b, 1, "10.0.0.2", c[3], c[6]), 100);
            return null;
        });
        run(store, (Store.Transaction tx) -> tx.announce(announcement(a, 2, "10.0.0.1", c[2], c[3], c[6], c[7], c[7]), 200));
        Map<String, List<String>> expected = Map.of(c[1], List.of(), c[2], List.of("10.0.0.1"),
                c[3], List.of("10.0.0.1", "10.0.0.2"), c[4], List.of(), c[5], List.of(),
                c[6], List.of("10.0.0.1", "10.0.0.2"), c[7], List.of("10.0.0.1"));
        expected.forEach((commit, hosts) -> assertThat(run(store, (Store.Transaction tx) -> tx.peers(commit, 10)))
                .as("holders of %s after a's second announcement", commit)
                .extracting(PeerEndpoint::getHost).containsExactlyInAnyOrderElementsOf(hosts));

        run(store, (Store.Transaction tx) -> tx.announce(announcement(a, 3, "10.0.0.1", c[2], c[3], c[6], c[7]), 300));
        run(store, (Store.Transaction tx) -> tx.announce(announcement(a, 4, "10.0.0.1"), 400));
        for (String commit : List.of(c[2], c[3], c[6], c[7])) {
            assertThat(run(store, (Store.Transaction tx) -> tx.peers(commit, 10)))
                    .as("a node that announces nothing holds nothing: %s", commit)
                    .extracting(PeerEndpoint::getHost)
                    .containsExactlyElementsOf(commit.equals(c[3]) || commit.equals(c[6]) ? List.of("10.0.0.2") : List.of());
        }
    }

    // --- pages of the list routes --------------------------------------------------------------

    /** Reads a list page by page, each page starting after the last key of the one before, until one comes back empty. */
    private static <K, T> List<T> walk(Store store, int limit,
            BiFunction<Store.Transaction, Optional<K>, List<Keyed<K, T>>> page) {
        List<T> all = new ArrayList<>();
        Optional<K> after = Optional.empty();
        while (true) {
            Optional<K> from = after;
            List<Keyed<K, T>> rows = run(store, tx -> page.apply(tx, from));
            assertThat(rows.size()).as("a page holds at most its limit").isLessThanOrEqualTo(limit);
            if (rows.isEmpty()) {
                return all;
            }
            rows.forEach(r -> all.add(r.value()));
            after = Optional.of(rows.get(rows.size() - 1).key());
        }
    }

    private static Paper paper(Identity author, String direction, int n) {
        return Paper.newBuilder().setDirection(direction).setTitle("finding " + n)
                .setAuthor(author.publicId().toByteString()).setCreatedMs(n).build();
    }

    private void insertPaper(Store store, Identity author, String direction, int n) {
        SignedEnvelope e = Envelopes.sign(author, paper(author, direction, n));
        run(store, tx -> {
            tx.insertPaper(paper(author, direction, n), e, Envelopes.id(e), n);
            return null;
        });
    }

    @Test
    void everyListReadAPageAtATimeGivesTheWholeListInItsOrder() throws Exception {
        Store store = store();
        Seed seed = seed();
        Identity author = Identity.generate();
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            for (String name : List.of("d", "e")) {
                Direction d = Fixtures.direction(operator, name, "tiny-lm", seed.getCommit(), 2);
                tx.insertDirection(d, Envelopes.sign(operator, d), 2);
            }
            for (int i = 0; i < 11; i++) {
                Experiment x = Fixtures.experiment(operator, "tiny-lm", i % 2 == 0 ? "d" : "e", Fixtures.commit(),
                        seed.getCommit(), 3 + i);
                tx.insertExperiment(x, Envelopes.sign(operator, x), 3 + i);
                tx.insertUnit(evaluation(String.format("u%02d", i), x.getCommit(), 10 + i));
            }
            for (int i = 0; i < 7; i++) {
                tx.saveReputation(ByteString.copyFrom(new byte[] {(byte) i}),
                        new Reputation(i % 3, 0, 0, 0, 1000L * (i % 4), 10));
                tx.insertAdoption(Adoption.newBuilder().setDirection(i % 2 == 0 ? "d" : "e")
                        .setCommit(Fixtures.commit()).setAdoptedMs(100 - i).setAuditCount(i / 2).build());
            }
            return null;
        });
        for (int i = 0; i < 9; i++) {
            insertPaper(store, author, i % 3 == 0 ? "e" : "d", i);
        }
        run(store, tx -> {
            tx.updateUnit(tx.unit("u03").orElseThrow().leasedTo(author.publicId().toByteString(), 1_000));
            return null;
        });
        for (int limit : new int[] {1, 3, 100}) {
            assertThat(StoreContract.<Long, SignedEnvelope>walk(store, limit, (tx, a) -> tx.auditTrail(a.orElse(0L), limit)))
                    .containsExactlyElementsOf(run(store, (Store.Transaction tx) -> tx.auditTrail()));
            assertThat(StoreContract.<Long, Stored<Seed>>walk(store, limit, (tx, a) -> tx.seeds(a.orElse(0L), limit)))
                    .containsExactlyElementsOf(run(store, (Store.Transaction tx) -> tx.seeds()));
            assertThat(StoreContract.<Long, DirectionRecord>walk(store, limit, (tx, a) -> tx.directions(a.orElse(0L), limit)))
                    .extracting(DirectionRecord::name).containsExactly("d", "e");
            for (String direction : List.of("", "d", "e", "none")) {
                assertThat(StoreContract.<Long, Stored<Experiment>>walk(store, limit, (tx, a) -> tx.experiments(direction, a.orElse(0L), limit)))
                        .as("experiments of '%s'", direction)
                        .containsExactlyElementsOf(run(store, (Store.Transaction tx) -> tx.experiments(direction)));
                assertThat(StoreContract.<Long, SignedEnvelope>walk(store, limit, (tx, a) -> tx.papers(direction, a.orElse(Long.MAX_VALUE), limit)))
                        .as("papers of '%s', newest first", direction)
                        .containsExactlyElementsOf(run(store, (Store.Transaction tx) -> tx.papers(direction)));
                assertThat(StoreContract.<Store.AdoptionKey, Adoption>walk(store, limit, (tx, a) -> tx.adoptions(direction, a, limit)))
                        .as("adoptions of '%s'", direction)
                        .containsExactlyElementsOf(run(store, (Store.Transaction tx) -> tx.adoptions(direction)));
            }
            assertThat(run(store, (Store.Transaction tx) -> tx.countExperiments("d"))).isEqualTo(6);
            assertThat(run(store, (Store.Transaction tx) -> tx.countExperiments(""))).isEqualTo(11);
            for (Optional<UnitStatus.State> state : List.of(Optional.<UnitStatus.State>empty(),
                    Optional.of(UnitStatus.State.OPEN), Optional.of(UnitStatus.State.LEASED))) {
                assertThat(StoreContract.<Long, UnitRecord>walk(store, limit, (tx, a) -> tx.units(state, a.orElse(0L), limit)))
                        .containsExactlyElementsOf(run(store, (Store.Transaction tx) -> tx.units(state)));
            }
            List<Reputation> byCredit = StoreContract.<Store.CreditKey, Reputation>walk(store, limit,
                    (tx, a) -> tx.reputations(a, limit));
            assertThat(byCredit).containsExactlyElementsOf(run(store, (Store.Transaction tx) -> tx.reputations())
                    .stream().map(Map.Entry::getValue).toList());
            assertThat(byCredit).hasSize(7).isSortedAccordingTo(Comparator
                    .comparingLong(Reputation::creditMs)
                    .thenComparingInt(Reputation::valid).reversed());
        }
        assertThat(StoreContract.<Long, UnitRecord>walk(store, 2, (tx, a) -> tx.units(Optional.of(UnitStatus.State.LEASED), a.orElse(0L), 2)))
                .extracting(UnitRecord::id).containsExactly("u03");
        assertThat(run(store, (Store.Transaction tx) -> tx.papers("", Long.MAX_VALUE, 2)))
                .extracting(k -> k.value().getPayload()).containsExactly(paper(author, "d", 8).toByteString(),
                        paper(author, "d", 7).toByteString());
    }

    /**
     * Writers on two stores commit papers (and with them audit envelopes) while a reader pages
     * through the audit trail and the papers: every row is read exactly once, in order, however the
     * commits interleave with the pages. On PostgreSQL this needs sequence order to be commit
     * order (WriteOrder.appendInOrder); a key handed out before another but committed after
     * it was read would be skipped for good.
     */
    @Test
    void rowsCommittedBetweenPagesAreNeitherSkippedNorRepeated() throws Exception {
        Store reader = store();
        Store other = secondStore(reader);
        Identity author = Identity.generate();
        int writers = 4;
        int perWriter = 40;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        AtomicInteger done = new AtomicInteger();
        List<SignedEnvelope> seenAudit = new ArrayList<>();
        List<SignedEnvelope> seenPapers = new ArrayList<>();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int first = w * perWriter;
                Store store = w % 2 == 0 ? reader : other;
                running.add(pool.submit(() -> {
                    for (int i = first; i < first + perWriter; i++) {
                        insertPaper(store, author, "d", i);
                    }
                    done.incrementAndGet();
                }));
            }
            long afterAudit = 0;
            boolean finished = false;
            while (!finished) {
                // read "done" before the page: a page read after every writer finished sees every row
                finished = done.get() == writers;
                long from = afterAudit;
                List<Keyed<Long, SignedEnvelope>> page = run(reader, tx -> tx.auditTrail(from, 5));
                page.forEach(k -> seenAudit.add(k.value()));
                if (!page.isEmpty()) {
                    afterAudit = page.get(page.size() - 1).key();
                    finished = false;  // keep reading until an empty page after the writers are done
                }
            }
            for (Future<?> f : running) {
                f.get(1, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        List<SignedEnvelope> all = run(reader, (Store.Transaction tx) -> tx.auditTrail());
        assertThat(all).hasSize(writers * perWriter);
        assertThat(seenAudit).as("each envelope once, in the order of the whole trail").containsExactlyElementsOf(all);
        // Papers are newest first: rows committed after the first page are newer than its cursor
        // and so are not in this walk, and the rows the walk reads are each read once.
        long before = Long.MAX_VALUE;
        while (true) {
            long from = before;
            List<Keyed<Long, SignedEnvelope>> page = run(reader, tx -> tx.papers("d", from, 7));
            if (page.isEmpty()) {
                break;
            }
            page.forEach(k -> seenPapers.add(k.value()));
            before = page.get(page.size() - 1).key();
        }
        assertThat(seenPapers).containsExactlyElementsOf(run(reader, (Store.Transaction tx) -> tx.papers("d")));
    }

    private static NodeAnnouncement announcement(Identity node, long timeMs, String host, String... commits) {
        return NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString()).setHost(host).setPort(7000)
                .setHardwareClass("cpu:x86_64").addAllCommits(List.of(commits)).setTimeMs(timeMs).build();
    }

    /**
     * A captured request sent again (or an older one sent late) within the replay window changes
     * nothing: a lease counts a renewal only when it was signed after the lease's last request
     * (its claim, then each renewal), and a node's endpoint and commits change only for an
     * announcement signed after the one on record.
     */
    @Test
    void requestsSignedNoLaterThanTheLastOneAppliedChangeNothing() throws Exception {
        Store store = store();
        ByteString node = Identity.generate().publicId().toByteString();
        run(store, tx -> {
            tx.insertUnit(evaluation("u1", Fixtures.commit(), 1));
            tx.recordLease("u1", node, 10, ByteString.EMPTY, 1_000, "", "", "");
            return null;
        });
        assertThat(StoreContract.<Boolean>run(store, tx -> tx.recordRenewal("u1", node, 1_000)))
                .as("signed when the claim was").isFalse();
        assertThat(StoreContract.<Boolean>run(store, tx -> tx.recordRenewal("u1", node, 2_000))).isTrue();
        assertThat(StoreContract.<Boolean>run(store, tx -> tx.recordRenewal("u1", node, 2_000)))
                .as("the same renewal again").isFalse();
        assertThat(StoreContract.<Boolean>run(store, tx -> tx.recordRenewal("u1", node, 1_500)))
                .as("an older renewal, late").isFalse();
        assertThat(StoreContract.<Integer>run(store, tx -> tx.leaseRenewals("u1", node))).isEqualTo(1);
        run(store, tx -> {
            tx.recordLease("u1", node, 20, ByteString.EMPTY, 5_000, "", "", "");
            return null;
        });
        assertThat(StoreContract.<Boolean>run(store, tx -> tx.recordRenewal("u1", node, 3_000)))
                .as("a renewal of the key's earlier lease of the unit").isFalse();
        assertThat(StoreContract.<Boolean>run(store, tx -> tx.recordRenewal("u1", node, 6_000))).isTrue();

        Identity peer = Identity.generate();
        String c1 = Fixtures.commit();
        String c2 = Fixtures.commit();
        assertThat(StoreContract.<Boolean>run(store, tx -> tx.announce(announcement(peer, 5_000, "10.0.0.1", c1), 100)))
                .isTrue();
        assertThat(StoreContract.<Boolean>run(store, tx -> tx.announce(announcement(peer, 5_000, "10.0.0.1", c1), 900)))
                .as("the same announcement again").isFalse();
        assertThat(StoreContract.<Boolean>run(store, tx -> tx.announce(announcement(peer, 4_000, "10.0.0.9", c2), 900)))
                .as("an older announcement, late").isFalse();
        assertThat(run(store, (Store.Transaction tx) -> tx.peers(c1, 10))).extracting(PeerEndpoint::getHost)
                .containsExactly("10.0.0.1");
        assertThat(run(store, (Store.Transaction tx) -> tx.peers(c2, 10))).isEmpty();
        assertThat(run(store, (Store.Transaction tx) -> tx.nodesSeenSince(101, 10))).as("not seen again").isEmpty();
        assertThat(StoreContract.<Boolean>run(store, tx -> tx.announce(announcement(peer, 6_000, "10.0.0.2", c2), 900)))
                .isTrue();
        assertThat(run(store, (Store.Transaction tx) -> tx.peers(c2, 10))).extracting(PeerEndpoint::getHost)
                .containsExactly("10.0.0.2");
    }

    /**
     * Many threads, each taking the oldest open unit and leasing it, as the dispatcher does: every
     * unit is leased exactly once, whatever the database does to keep concurrent transactions apart.
     */
    @Test
    void concurrentTransactionsNeverLeaseAUnitTwice() throws Exception {
        Store a = store();
        Store b = secondStore(a);
        Takers takers = leaseConcurrently(a, b, 40, (store, node, attempt) -> run(store, tx -> takeOldest(tx, node)));
        for (int t = 0; t < takers.nodes().size(); t++) {
            ByteString node = takers.nodes().get(t);
            int taken = takers.taken().get(t).size();
            // counts read in the same group commits as the leases were written must still add up
            assertThat(run(t % 2 == 0 ? a : b, (Store.Transaction tx) -> tx.claimant(node, 0, "")))
                    .isEqualTo(new Claimant(taken, Optional.empty(), taken, NO_ORIGIN));
        }
    }

    /**
     * Writers from two stores at once, as results are: a caller that throws after writing is rolled back alone while the others commit (on SQLite they share
     * a group commit), and every unit is still leased exactly once.
     */
    @Test
    void writersFromTwoStoresLeaseEachUnitOnceAndOneThatThrowsIsRolledBackAlone() throws Exception {
        Store a = store();
        Store b = secondStore(a);
        leaseConcurrently(a, b, 60, (store, node, attempt) -> store.inTransaction(tx -> {
            Optional<String> id = takeOldest(tx, node);
            if (id.isPresent() && attempt % 3 == 1) {
                throw Rejection.conflict("changed my mind");
            }
            return id;
        }));
    }

    /** One taker's try at a unit: the unit it leased, empty when none is open; may throw a Rejection. */
    @FunctionalInterface
    private interface Take {
        Optional<String> attempt(Store store, ByteString node, int attempt);
    }

    private record Takers(List<ByteString> nodes, List<List<String>> taken) {
    }

    private static Optional<String> takeOldest(Store.Transaction tx, ByteString node) {
        List<UnitRecord> open = tx.openEvaluations();
        if (open.isEmpty()) {
            return Optional.empty();
        }
        tx.updateUnit(open.get(0).leasedTo(node, 1_000));
        leased(tx, open.get(0).id(), node, 1);
        return Optional.of(open.get(0).id());
    }

    /**
     * Eight takers, alternately on each store, take units until none is open; every unit must end
     * leased exactly once (a rolled-back lease counts none).
     */
    private Takers leaseConcurrently(Store a, Store b, int units, Take take) throws Exception {
        run(a, tx -> {
            for (int i = 0; i < units; i++) {
                tx.insertUnit(evaluation(String.format("u%03d", i), Fixtures.commit(), i));
            }
            return null;
        });
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<String>>> futures = new ArrayList<>();
            List<ByteString> nodes = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Store store = t % 2 == 0 ? a : b;
                ByteString node = Identity.generate().publicId().toByteString();
                nodes.add(node);
                futures.add(pool.submit(() -> {
                    List<String> taken = new ArrayList<>();
                    for (int attempt = 0; ; attempt++) {
                        Optional<String> id;
                        try {
                            id = take.attempt(store, node, attempt);
                        } catch (Rejection e) {
                            continue;
                        }
                        if (id.isEmpty()) {
                            return taken;
                        }
                        taken.add(id.get());
                    }
                }));
            }
            List<List<String>> taken = new ArrayList<>();
            List<String> all = new ArrayList<>();
            for (Future<List<String>> f : futures) {
                taken.add(f.get(60, TimeUnit.SECONDS));
                all.addAll(taken.get(taken.size() - 1));
            }
            assertThat(all).hasSize(units).doesNotHaveDuplicates();
            for (UnitRecord u : run(a, tx -> tx.units(Optional.empty()))) {
                assertThat(u.attempts()).as("leases of %s (a rolled-back lease counts none)", u.id()).isEqualTo(1);
                assertThat(u.state()).isEqualTo(UnitStatus.State.LEASED);
            }
            return new Takers(nodes, taken);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The dashboard reads a direction's newest experiments and results without reading them all. */
    @Test
    void newestExperimentsAndResultsComeNewestFirstAndOfTheirDirectionOnly() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction d = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
        Direction other = Fixtures.direction(operator, "other", "tiny-lm", seed.getCommit(), 3);
        Identity runner = Identity.generate();
        List<String> commits = new ArrayList<>();
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.insertDirection(d, Envelopes.sign(operator, d), 2);
            tx.insertDirection(other, Envelopes.sign(operator, other), 3);
            for (int i = 0; i < 5; i++) {
                for (String name : List.of("d", "other")) {
                    String c = Fixtures.commit();
                    Experiment e = Fixtures.experiment(runner, "tiny-lm", name, c, seed.getCommit(), 10 + i);
                    tx.insertExperiment(e, Envelopes.sign(runner, e), 10 + i);
                    WorkUnit unit = WorkUnit.newBuilder().setId("u-" + c).setSeed("tiny-lm").setDirection(name)
                            .setCommit(c).build();
                    Result r = Fixtures.result(runner, unit, 2.0 + i, 20 + i);
                    SignedEnvelope envelope = Envelopes.sign(runner, r);
                    tx.insertResult(r, envelope, Envelopes.id(envelope), 20 + i);
                    if (name.equals("d")) {
                        commits.add(c);
                    }
                }
            }
            return null;
        });
        List<String> newestFirst = new ArrayList<>(commits);
        Collections.reverse(newestFirst);
        assertThat(store.inReadTransaction(tx -> tx.newestExperiments("d", 3)).stream()
                .map(e -> e.record().getCommit()).toList()).containsExactlyElementsOf(newestFirst.subList(0, 3));
        assertThat(store.inReadTransaction(tx -> tx.newestResultEnvelopes("d", 3)).stream()
                .map(e -> parse(e).getCommit()).toList()).containsExactlyElementsOf(newestFirst.subList(0, 3));
        List<?> all = store.inReadTransaction(tx -> tx.newestExperiments("d", 100));
        assertThat(all).hasSize(5);
        List<?> none = store.inReadTransaction(tx -> tx.newestResultEnvelopes("nope", 100));
        assertThat(none).isEmpty();
        // `results --limit N` of every direction, or of one commit, read newest first at the store
        List<Keyed<Long, SignedEnvelope>> everywhere =
                store.inReadTransaction(tx -> tx.newestResultEnvelopes("", "", Long.MAX_VALUE, 20));
        assertThat(everywhere.size()).isEqualTo(10);
        List<Keyed<Long, SignedEnvelope>> ofCommit =
                store.inReadTransaction(tx -> tx.newestResultEnvelopes("", commits.get(2), Long.MAX_VALUE, 20));
        assertThat(ofCommit.stream().map(e -> parse(e.value()).getCommit()).toList()).containsExactly(commits.get(2));
        List<Keyed<Long, SignedEnvelope>> elsewhere =
                store.inReadTransaction(tx -> tx.newestResultEnvelopes("other", commits.get(2), Long.MAX_VALUE, 20));
        assertThat(elsewhere.size()).isZero();
    }

    /** `papers --new`: a direction's papers (or all) published after a mark, oldest first, from either end. */
    @Test
    void papersAreReadOldestFirstAfterAMark() throws Exception {
        Store store = store();
        Identity author = Identity.generate();
        List<SignedEnvelope> inD = new ArrayList<>();
        run(store, tx -> {
            for (int i = 0; i < 4; i++) {
                for (String direction : List.of("d", "e")) {
                    Paper paper = Paper.newBuilder().setDirection(direction).setTitle(direction + i)
                            .setAuthor(author.publicId().toByteString()).setCreatedMs(i).build();
                    SignedEnvelope envelope = Envelopes.sign(author, paper);
                    tx.insertPaper(paper, envelope, Envelopes.id(envelope), i);
                    if (direction.equals("d")) {
                        inD.add(envelope);
                    }
                }
            }
            return null;
        });
        List<Keyed<Long, SignedEnvelope>> first = store.inReadTransaction(tx -> tx.papersAfter("d", 0, 2));
        assertThat(first.stream().map(Keyed::value).toList()).containsExactly(inD.get(0), inD.get(1));
        long mark = first.get(1).key();
        List<Keyed<Long, SignedEnvelope>> since = store.inReadTransaction(tx -> tx.papersAfter("d", mark, 10));
        assertThat(since.stream().map(Keyed::value).toList()).containsExactly(inD.get(2), inD.get(3));
        List<Keyed<Long, SignedEnvelope>> sinceAnywhere = store.inReadTransaction(tx -> tx.papersAfter("", mark, 10));
        assertThat(sinceAnywhere.size()).isEqualTo(5);
        // the newest-first read's first key is the same mark: what came since it is what is new
        long newest = store.inReadTransaction(tx -> tx.papers("d", Long.MAX_VALUE, 1)).get(0).key();
        List<Keyed<Long, SignedEnvelope>> none = store.inReadTransaction(tx -> tx.papersAfter("d", newest, 10));
        assertThat(none.size()).isZero();
    }

    /** A leaderboard's one read: the direction's results, less late ones and those found INVALID. */
    @Test
    void countedResultsLeaveOutLateAndInvalidResultsAndOtherDirections() throws Exception {
        Store store = store();
        Seed seed = seed();
        Direction d = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
        Direction other = Fixtures.direction(operator, "other", "tiny-lm", seed.getCommit(), 3);
        Identity runner = Identity.generate();
        Map<String, String> ids = new HashMap<>();
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.insertDirection(d, Envelopes.sign(operator, d), 2);
            tx.insertDirection(other, Envelopes.sign(operator, other), 3);
            for (String kind : List.of("valid", "pending", "invalid", "late", "other")) {
                String name = kind.equals("other") ? "other" : "d";
                WorkUnit unit = WorkUnit.newBuilder().setId("u-" + kind).setSeed("tiny-lm").setDirection(name)
                        .setCommit(seed.getCommit()).build();
                Result r = Fixtures.result(runner, unit, 2.0, 20);
                SignedEnvelope envelope = Envelopes.sign(runner, r);
                String id = Envelopes.id(envelope);
                if (kind.equals("late")) {
                    tx.insertLateResult(r, envelope, id, 20);
                } else {
                    tx.insertResult(r, envelope, id, 20);
                }
                ids.put(kind, id);
            }
            tx.setResultState(ids.get("valid"), ResultVerdict.State.VALID);
            tx.setResultState(ids.get("invalid"), ResultVerdict.State.INVALID);
            return null;
        });
        List<Trials.Entry> counted = store.inReadTransaction(tx -> tx.countedResults("d"));
        assertThat(counted).extracting(Trials.Entry::envelopeId).containsExactly(ids.get("valid"), ids.get("pending"));
    }

    /** Views run in read transactions; one that tries to write fails and leaves nothing. */
    @Test
    void aReadTransactionCannotWrite() throws Exception {
        Store store = store();
        Seed seed = Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01), 1);
        assertThatThrownBy(() -> store.inReadTransaction(tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            return null;
        })).hasMessageMatching("(?is).*read-?only.*");
        List<?> seeds = store.inReadTransaction(tx -> tx.seeds());
        assertThat(seeds).isEmpty();
        // the connection is still fit for reads afterwards
        Optional<?> one = store.inReadTransaction(tx -> tx.seed("tiny-lm"));
        assertThat(one).isEmpty();
    }

    private static Result parse(SignedEnvelope envelope) {
        try {
            return Result.parseFrom(envelope.getPayload());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void writeCountsArePerScopeKindAndDayAndOldDaysAreForgotten() throws Exception {
        Store store = store();
        long day = 86_400_000L * 19_000;
        List<String> scopes = List.of("key:aa", "address:10.0.0.1", "all");
        run(store, tx -> {
            tx.countWrite("experiments", day, scopes);
            tx.countWrite("experiments", day, scopes);
            tx.countWrite("experiments", day, List.of("key:bb", "all"));
            tx.countWrite("papers", day, List.of("all"));
            tx.countWrite("experiments", day - 86_400_000L, List.of("all"));
            return null;
        });
        assertThat(writeCounts(store, "experiments", day, List.of("key:aa", "key:bb", "key:cc",
                "address:10.0.0.1", "all"))).isEqualTo(Map.of("key:aa", 2, "key:bb", 1,
                "address:10.0.0.1", 2, "all", 3));
        assertThat(writeCounts(store, "papers", day, List.of("all"))).isEqualTo(Map.of("all", 1));
        int forgotten = run(store, tx -> tx.forgetWriteCounts(day));
        assertThat(forgotten).isEqualTo(1);
        assertThat(writeCounts(store, "experiments", day - 86_400_000L, List.of("all"))).isEmpty();
        assertThat(writeCounts(store, "experiments", day, List.of("all"))).isEqualTo(Map.of("all", 3));
        // a rolled-back transaction counts nothing
        try {
            run(store, tx -> {
                tx.countWrite("experiments", day, List.of("all"));
                throw new IllegalStateException("refused");
            });
        } catch (IllegalStateException expected) {
            // as meant
        }
        assertThat(writeCounts(store, "experiments", day, List.of("all"))).isEqualTo(Map.of("all", 3));
    }

    @Test
    void aNodeIsKnownOnceItAnnounced() throws Exception {
        Store store = store();
        Identity node = Identity.generate();
        assertThat(known(store, node)).isFalse();
        run(store, tx -> {
            tx.announce(NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                    .setHost("127.0.0.1").setPort(7000).setHardwareClass("cpu").setTimeMs(1).build(), 1);
            return null;
        });
        assertThat(known(store, node)).isTrue();
    }

    /**
     * Settlement adds to a proposer's record without reading it (results of one proposer settle
     * beside each other on a shared store): the counts add up, the latest crash stands whatever
     * order the crashes are counted in, a rollback counts nothing, and a record read before and
     * kept (SQLite) follows every addition.
     */
    @Test
    void outcomesAddedToAProposersRecordAddUpAndKeepTheLatestCrash() throws Exception {
        Store store = store();
        ByteString proposer = Identity.generate().publicId().toByteString();
        assertThat(recordOf(store, proposer)).isEqualTo(ProposerThrottle.Record.empty());
        run(store, tx -> {
            tx.addToProposerRecord(proposer, ProposerThrottle.Record.ok());
            tx.addToProposerRecord(proposer, ProposerThrottle.Record.crash(500));
            return null;
        });
        assertThat(recordOf(store, proposer)).isEqualTo(new ProposerThrottle.Record(1, 1, 500));
        run(store, tx -> {
            tx.addToProposerRecord(proposer, ProposerThrottle.Record.crash(300));  // counted after a later crash
            tx.addToProposerRecord(proposer, ProposerThrottle.Record.ok().plus(ProposerThrottle.Record.ok()));
            return null;
        });
        assertThat(recordOf(store, proposer)).isEqualTo(new ProposerThrottle.Record(3, 2, 500));
        assertThatThrownBy(() -> run(store, tx -> {
            tx.addToProposerRecord(proposer, ProposerThrottle.Record.crash(900));
            throw Rejection.conflict("changed my mind");
        })).isInstanceOf(Rejection.class);
        assertThat(recordOf(store, proposer)).as("a rollback counts nothing")
                .isEqualTo(new ProposerThrottle.Record(3, 2, 500));
        assertThat(recordOf(secondStore(store), proposer)).isEqualTo(new ProposerThrottle.Record(3, 2, 500));
    }

    @Test
    void theKeptCountsOfEnvelopesNodesAndExpiredLeasesFollowEveryWriteAndForgetRollbacks() throws Exception {
        Store store = store();
        assertThat(kept(store)).containsExactly(0L, 0L, 0L);
        Seed seed = seed();
        Identity a = Identity.generate();
        Identity b = Identity.generate();
        ByteString holder = ByteString.copyFromUtf8("holder");
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            tx.announce(announcement(a, 1_000, "10.0.0.1"), 100);
            tx.announce(announcement(a, 2_000, "10.0.0.2"), 200);  // the same node again: not a second one
            tx.announce(announcement(a, 1_500, "10.0.0.3"), 300);  // signed earlier: changes nothing
            tx.announce(announcement(b, 1_000, "10.0.0.4"), 300);
            tx.insertUnit(evaluation("u1", seed.getCommit(), 1));
            tx.updateUnit(evaluation("u1", seed.getCommit(), 1).leasedTo(holder, 50).expired());
            tx.insertUnit(evaluation("u2", seed.getCommit(), 1).leasedTo(holder, 50).expired().leasedTo(holder, 90)
                    .expired());
            return null;
        });
        assertThat(kept(store)).as("envelopes, nodes, leases expired").containsExactly(1L, 2L, 3L);
        run(store, tx -> {
            UnitRecord u1 = tx.unit("u1").orElseThrow();
            tx.updateUnit(u1.leasedTo(holder, 200));  // a lease alone expires nothing
            tx.updateUnit(u1.leasedTo(holder, 200).expired());
            tx.updateUnit(tx.unit("u2").orElseThrow().reopened());
            return null;
        });
        assertThat(kept(store)).containsExactly(1L, 2L, 4L);

        assertThatThrownBy(() -> run(store, tx -> {
            Direction d = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
            tx.insertDirection(d, Envelopes.sign(operator, d), 2);
            tx.announce(announcement(Identity.generate(), 1_000, "10.0.0.5"), 400);
            tx.updateUnit(tx.unit("u1").orElseThrow().leasedTo(holder, 300).expired());
            throw Rejection.conflict("changed my mind");
        })).isInstanceOf(Rejection.class);
        assertThat(kept(store)).as("a rollback takes its counts back too").containsExactly(1L, 2L, 4L);

        Store again = secondStore(store);
        assertThat(kept(again)).containsExactly(1L, 2L, 4L);
        assertThat(run(again, (Store.Transaction tx) -> (long) tx.auditTrail().size())).isEqualTo(1L);
        assertThat(run(again, (Store.Transaction tx) -> tx.units(Optional.empty())).stream()
                .mapToLong(UnitRecord::expiredLeases).sum()).isEqualTo(4L);
    }

    @Test
    void theKeptTotalsAndEachDirectionsCountsFollowEveryWriteAndForgetRollbacks() throws Exception {
        Store store = store();
        assertThat(totals(store)).isEqualTo(new HistoryCounts.Totals(0, 0, 0, 0, 0, 0));
        Seed seed = seed();
        Identity runner = Identity.generate();
        Identity author = Identity.generate();
        List<String> commits = List.of(Fixtures.commit(), Fixtures.commit(), Fixtures.commit());
        run(store, tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            for (String name : List.of("d", "e")) {
                Direction d = Fixtures.direction(operator, name, "tiny-lm", seed.getCommit(), 2);
                tx.insertDirection(d, Envelopes.sign(operator, d), 2);
            }
            for (int i = 0; i < commits.size(); i++) {
                String direction = i < 2 ? "d" : "e";
                Experiment x = Fixtures.experiment(runner, "tiny-lm", direction, commits.get(i), seed.getCommit(), 3 + i);
                tx.insertExperiment(x, Envelopes.sign(runner, x), 3 + i);
                tx.insertUnit(evaluation("u" + i, commits.get(i), 3 + i));
            }
            WorkUnit unit = WorkUnit.newBuilder().setId("u0").setSeed("tiny-lm").setDirection("d")
                    .setCommit(commits.get(0)).build();
            for (int i = 0; i < 2; i++) {
                Result r = Fixtures.result(Identity.generate(), unit, 2.0 + i, 10 + i);
                SignedEnvelope e = Envelopes.sign(runner, r);
                tx.insertResult(r, e, Envelopes.id(e), 10 + i);
            }
            return null;
        });
        insertPaper(store, author, "d", 20);
        assertThat(totals(store)).as("seeds, directions, experiments, results, papers, units")
                .isEqualTo(new HistoryCounts.Totals(1, 2, 3, 2, 1, 3));
        assertThat(directionCounts(store, List.of("e", "d", "none", "e"))).as("in the order named, each once")
                .containsExactly(Map.entry("e", new HistoryCounts.OfDirection(1, 0)),
                        Map.entry("d", new HistoryCounts.OfDirection(2, 2)),
                        Map.entry("none", HistoryCounts.OfDirection.NONE));

        assertThatThrownBy(() -> run(store, tx -> {
            Experiment x = Fixtures.experiment(runner, "tiny-lm", "e", Fixtures.commit(), seed.getCommit(), 30);
            tx.insertExperiment(x, Envelopes.sign(runner, x), 30);
            tx.insertUnit(evaluation("u9", x.getCommit(), 30));
            throw Rejection.conflict("changed my mind");
        })).isInstanceOf(Rejection.class);
        assertThat(totals(store)).as("a rollback takes its counts back too")
                .isEqualTo(new HistoryCounts.Totals(1, 2, 3, 2, 1, 3));

        Store again = secondStore(store);
        assertThat(totals(again)).isEqualTo(new HistoryCounts.Totals(1, 2, 3, 2, 1, 3));
        assertThat(directionCounts(again, List.of("d"))).containsExactly(Map.entry("d", new HistoryCounts.OfDirection(2, 2)));
        CoordinatorStats stats = run(again, Store.Transaction::stats);
        assertThat(List.of(stats.getSeeds(), stats.getDirections(), stats.getExperiments(), stats.getResults(),
                stats.getPapers(), stats.getUnitsOpen() + stats.getUnitsLeased() + stats.getUnitsDone()))
                .as("the stats a caller without views reads").containsExactly(1L, 2L, 3L, 2L, 1L, 3L);
    }

    private static HistoryCounts.Totals totals(Store store) {
        return store.inReadTransaction(Store.Transaction::historyTotals);
    }

    private static Map<String, HistoryCounts.OfDirection> directionCounts(Store store, List<String> names) {
        return store.inReadTransaction(tx -> tx.directionCounts(names));
    }

    /** {audit count, nodes known, leases ever expired}, as a view reads them. */
    private static List<Long> kept(Store store) {
        return store.inReadTransaction(tx -> {
            HistoryCounts.Standing standing = tx.standing();
            return List.of(tx.auditCount(), standing.nodes(), standing.leasesExpired());
        });
    }

    private static Map<String, Integer> writeCounts(Store store, String kind, long day, List<String> scopes) {
        return run(store, tx -> tx.writeCounts(kind, day, scopes));
    }

    private static boolean known(Store store, Identity node) {
        return run(store, tx -> tx.knownNode(node.publicId().toByteString()));
    }
}
