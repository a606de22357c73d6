package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.core.Leaderboards;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.TestPostgres;
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
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A direction's leaderboard brought up to date from what happened since its last build
 * ({@link DirectionBoard}) is the board built from the direction's whole history, step after step
 * of a history with adoptions, results found INVALID by their trial (and one cleared again),
 * late results, failed runs, ties, several hardware classes, a base measured on another direction,
 * and a closure; and a coordinator that starts late (a board first built on a long history) agrees too.
 */
class DirectionBoardTest {
    @TempDir
    Path dir;

    private final Identity operator = Identity.generate();
    private final Seed seed = Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01), 1);
    private long time = 10;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void theBoardKeptUpToDateIsTheBoardBuiltFromTheWholeHistoryAtEveryStep(String kind) throws Exception {
        if (kind.equals("sqlite")) {
            try (SqliteStore store = SqliteStore.open(dir)) {
                check(store);
            }
        } else {
            try (TestPostgres postgres = TestPostgres.create(); PostgresStore store = PostgresStore.open(postgres.address(4))) {
                check(store);
            }
        }
    }

    private void check(Store store) {
        long[] nanos = {0};
        // an hour passes before each look: every look rebuilds, so each step is a build on top of the last
        Views views = new Views(store, () -> 0, new SharedViews(() -> nanos[0]));
        List<Consumer<Store.Transaction>> steps = new ArrayList<>();
        List<String> commits = new ArrayList<>();
        List<String> envelopeIds = new ArrayList<>();
        steps.add(tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            for (String name : List.of("d", "other")) {
                Direction d = Fixtures.direction(operator, name, "tiny-lm", seed.getCommit(), 2);
                tx.insertDirection(d, Envelopes.sign(operator, d), 2);
            }
        });
        steps.add(tx -> {
            for (int i = 0; i < 6; i++) {
                String c = Fixtures.commit();
                commits.add(c);
                experiment(tx, "d", c, i == 0 ? seed.getCommit() : commits.get(i - 1));
            }
            envelopeIds.add(result(tx, "d", seed.getCommit(), 3.0, "cpu", Result.Status.OK, false));
            envelopeIds.add(result(tx, "other", seed.getCommit(), 2.9, "cpu", Result.Status.OK, false));
        });
        steps.add(tx -> {
            envelopeIds.add(result(tx, "d", commits.get(0), 2.5, "cpu", Result.Status.OK, false));
            envelopeIds.add(result(tx, "d", commits.get(0), 2.7, "cpu", Result.Status.OK, false));
            envelopeIds.add(result(tx, "d", commits.get(1), 2.5, "cpu", Result.Status.OK, false));  // a tie
            envelopeIds.add(result(tx, "d", commits.get(2), 0.1, "gpu", Result.Status.OK, false));
            envelopeIds.add(result(tx, "d", commits.get(3), 0, "cpu", Result.Status.CRASH, false));
        });
        steps.add(tx -> tx.updateFrontier("d", new Frontier(commits.get(0), OptionalDouble.of(2.6), "cpu")));
        steps.add(tx -> {
            tx.setResultState(envelopeIds.get(3), ResultVerdict.State.INVALID);  // outvoted
            tx.setResultState(envelopeIds.get(2), ResultVerdict.State.VALID);
            envelopeIds.add(result(tx, "d", commits.get(4), 1.0, "cpu", Result.Status.OK, true));  // late
        });
        steps.add(tx -> {
            String id = result(tx, "d", commits.get(5), 2.0, "cpu", Result.Status.OK, false);
            tx.setResultState(id, ResultVerdict.State.INVALID);  // stored and outvoted between two builds
            envelopeIds.add(id);
            tx.setResultState(envelopeIds.get(1), ResultVerdict.State.INVALID);  // the base, on the other direction
        });
        steps.add(tx -> tx.setResultState(envelopeIds.get(3), ResultVerdict.State.VALID));  // counted again
        steps.add(tx -> {
            String c = Fixtures.commit();
            commits.add(c);
            experiment(tx, "d", c, commits.get(0));
            envelopeIds.add(result(tx, "d", c, 2.4, "cpu", Result.Status.OK, false));
            tx.updateFrontier("d", new Frontier(c, OptionalDouble.of(2.4), "cpu"));
            result(tx, "other", seed.getCommit(), 3.1, "gpu", Result.Status.OK, false);
        });
        steps.add(tx -> {
            tx.closeDirection("d", "budget spent", time++);
            result(tx, "d", commits.get(6), 2.2, "cpu", Result.Status.OK, false);  // a late runner's, after the close
        });
        for (Consumer<Store.Transaction> step : steps) {
            store.inTransaction(tx -> {
                step.accept(tx);
                return null;
            });
            if (store.inReadTransaction(tx -> tx.direction("d")).isPresent()) {
                nanos[0] += 3_600_000_000_000L;
                LeaderboardList kept = views.leaderboard("d", "");
                assertThat(kept).isEqualTo(fromWholeHistory(store, "d"));
                assertThat(new Views(store, () -> 0).leaderboard("d", "")).as("built at once on the history so far")
                        .isEqualTo(kept);
            }
        }
        nanos[0] += 3_600_000_000_000L;
        LeaderboardList last = views.leaderboard("d", "");
        assertThat(last.getLeaderboardsList()).extracting(b -> b.getHardwareClass()).containsExactly("cpu", "gpu");
        assertThat(last.getLeaderboards(0).getEntriesList()).extracting(e -> e.getCommit())
                .doesNotContain(commits.get(4), commits.get(5)).contains(commits.get(0), commits.get(6));
    }

    /** The board from every counted result of the direction, as it was built before it was kept. */
    private static LeaderboardList fromWholeHistory(Store store, String direction) {
        return store.inReadTransaction(tx -> {
            DirectionRecord d = tx.direction(direction).orElseThrow();
            Manifest manifest = tx.seed(d.direction().getSeed()).orElseThrow().record().getManifest();
            List<Leaderboards.Contender> contenders = new ArrayList<>();
            String base = d.direction().getBaseCommit();
            Optional<Experiment> baseExperiment = tx.experiment(base).map(Stored::record);
            contenders.add(new Leaderboards.Contender(base, baseExperiment.map(Experiment::getParent).orElse(""),
                    baseExperiment.map(Experiment::getProposer).orElse(ByteString.EMPTY),
                    baseExperiment.map(Experiment::getDescription).orElse("base of " + direction)));
            for (Stored<Experiment> e : tx.experiments(direction)) {
                Experiment x = e.record();
                contenders.add(new Leaderboards.Contender(x.getCommit(), x.getParent(), x.getProposer(), x.getDescription()));
            }
            List<Result> results = new ArrayList<>();
            tx.countedResults(direction).forEach(e -> results.add(e.result()));
            tx.resultEntries(base).stream()
                    .filter(e -> !e.result().getDirection().equals(direction))
                    .filter(e -> !e.late() && tx.resultState(e.envelopeId()).orElse(ResultVerdict.State.PENDING)
                            != ResultVerdict.State.INVALID)
                    .forEach(e -> results.add(e.result()));
            return Leaderboards.build(direction, manifest.getMetric(), contenders, results, d.frontier().commit(), "");
        });
    }

    private void experiment(Store.Transaction tx, String direction, String commit, String parent) {
        Identity proposer = Identity.generate();
        Experiment e = Fixtures.experiment(proposer, "tiny-lm", direction, commit, parent, time++);
        tx.insertExperiment(e, Envelopes.sign(proposer, e), time);
    }

    private String result(Store.Transaction tx, String direction, String commit, double metric, String hardwareClass,
            Result.Status status, boolean late) {
        Identity runner = Identity.generate();
        WorkUnit unit = WorkUnit.newBuilder().setId("u-" + time).setSeed("tiny-lm").setDirection(direction)
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
}
