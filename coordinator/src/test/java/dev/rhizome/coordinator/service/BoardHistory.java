package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Leaderboards;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A seed, its directions and a history of experiments and results written straight to a store,
 * as the views' tests need them (boards, the dashboard, read costs), and each such test run on
 * either store. The clock is a counter: every record is later than the one before.
 */
final class BoardHistory {
    /** The direction most tests look at. */
    static final String DIRECTION = "d";

    final Identity operator = Identity.generate();
    final Identity runner = Identity.generate();
    final Seed seed = Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01), 1);
    long time = 10;

    /**
     * Runs {@code check} on a store of the kind named: "sqlite" (in {@code dir}) or "postgresql"
     * (RHIZOME_TEST_PG); the opening of this package's tests on either store, boards' or claims'.
     */
    static void onStore(String kind, Path dir, Consumer<Store> check) throws Exception {
        SettledHistory.onStore(kind, dir, check::accept);
    }

    /** Publishes the seed (unless it is already) and opens the directions named on its commit. */
    void open(Store.Transaction tx, String... directions) {
        if (tx.seed(seed.getName()).isEmpty()) {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), time++);
        }
        for (String name : directions) {
            Direction d = Fixtures.direction(operator, name, seed.getName(), seed.getCommit(), time++);
            tx.insertDirection(d, Envelopes.sign(operator, d), time);
        }
    }

    /** Registers an experiment with the default description. */
    void experiment(Store.Transaction tx, String direction, String commit, String parent) {
        Experiment e = Fixtures.experiment(runner, seed.getName(), direction, commit, parent, time++);
        tx.insertExperiment(e, Envelopes.sign(runner, e), time);
    }

    /** Registers an experiment described by {@code description}. */
    void experiment(Store.Transaction tx, String direction, String commit, String parent, String description) {
        Experiment e = Fixtures.experiment(runner, seed.getName(), direction, commit, parent, time++).toBuilder()
                .setDescription(description).build();
        tx.insertExperiment(e, Envelopes.sign(runner, e), time);
    }

    /** An OK result on the default hardware class; its envelope id. */
    String result(Store.Transaction tx, String direction, String commit, double metric) {
        return result(tx, direction, commit, metric, "cpu:x86_64", Result.Status.OK, false);
    }

    /** A result of a run of {@code commit} (stored as late when {@code late}); its envelope id. */
    String result(Store.Transaction tx, String direction, String commit, double metric, String hardwareClass,
            Result.Status status, boolean late) {
        WorkUnit unit = WorkUnit.newBuilder().setId("u-" + time).setSeed(seed.getName()).setDirection(direction)
                .setCommit(commit).build();
        Result r = Fixtures.result(runner, unit, metric, time++).toBuilder().setHardwareClass(hardwareClass)
                .setStatus(status).build();
        SignedEnvelope envelope = Envelopes.sign(runner, r);
        String id = Envelopes.id(envelope);
        if (late) {
            tx.insertLateResult(r, envelope, id, time);
        } else {
            tx.insertResult(r, envelope, id, time);
        }
        return id;
    }

    /** {@code n} experiments off the base of {@link #DIRECTION}, each with one OK result, in transactions of 50. */
    void addHistory(Store store, int n) {
        for (int done = 0; done < n; done += 50) {
            int batch = Math.min(50, n - done);
            store.inTransaction(tx -> {
                for (int i = 0; i < batch; i++) {
                    String commit = Fixtures.commit();
                    experiment(tx, DIRECTION, commit, seed.getCommit());
                    result(tx, DIRECTION, commit, 3.0);
                }
                return null;
            });
        }
    }

    /**
     * The direction's boards from every counted result and every experiment it has, described, as
     * they were built before boards were kept: what a kept board, or one built again, must equal.
     */
    static LeaderboardList wholeHistoryBoard(Store store, String direction) {
        return store.inReadTransaction(tx -> {
            DirectionRecord d = tx.direction(direction).orElseThrow();
            Manifest manifest = tx.seed(d.direction().getSeed()).orElseThrow().record().getManifest();
            List<Leaderboards.Contender> contenders = new ArrayList<>();
            Map<String, String> descriptions = new HashMap<>();
            String base = d.direction().getBaseCommit();
            Optional<Experiment> baseExperiment = tx.experiment(base).map(Stored::record);
            contenders.add(new Leaderboards.Contender(base, baseExperiment.map(Experiment::getParent).orElse(""),
                    baseExperiment.map(Experiment::getProposer).orElse(ByteString.EMPTY)));
            descriptions.put(base, baseExperiment.map(Experiment::getDescription).orElse("base of " + direction));
            for (Stored<Experiment> e : tx.experiments(direction)) {
                Experiment x = e.record();
                contenders.add(new Leaderboards.Contender(x.getCommit(), x.getParent(), x.getProposer()));
                descriptions.putIfAbsent(x.getCommit(), x.getDescription());
            }
            List<Result> results = new ArrayList<>();
            tx.countedResults(direction).forEach(e -> results.add(e.result()));
            tx.resultEntries(base).stream()
                    .filter(e -> !e.result().getDirection().equals(direction))
                    .filter(e -> !e.late() && tx.resultState(e.envelopeId()).orElse(ResultVerdict.State.PENDING)
                            != ResultVerdict.State.INVALID)
                    .forEach(e -> results.add(e.result()));
            LeaderboardList.Builder boards = Leaderboards.build(direction, manifest.getMetric(), contenders, results,
                    d.frontier().commit(), "").toBuilder();
            boards.getLeaderboardsBuilderList().forEach(b -> b.getEntriesBuilderList()
                    .forEach(e -> e.setDescription(descriptions.get(e.getCommit()))));
            // the board of the class the direction compares in (its measured frontier's) says so
            if (d.frontier().isMeasured()) {
                boards.getLeaderboardsBuilderList().stream()
                        .filter(b -> !b.getHardwareClass().isEmpty()
                                && b.getHardwareClass().equals(d.frontier().hardwareClass()))
                        .forEach(b -> b.setCompared(true));
            }
            return boards.build();
        });
    }
}
