package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.store.SchemaRewind;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.protocol.envelope.Envelopes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A direction's adopted path kept as rows ({@link AdoptedPath}) answers what the walk back from its
 * frontier through parents answers, for every commit, however the frontier moved: on along its
 * chain, to a sibling, to an ancestor, onto a merge, through commits of other directions; and a
 * path a coordinator without it left behind (an older one moved the frontier, or the store
 * predates migration 25) is read by the walk until the next settlement keeps it again.
 */
class AdoptedPathTest {
    @TempDir
    Path dir;

    private final BoardHistory history = new BoardHistory();

    /** Commits registered so far, with their direction, in order. */
    private final Map<String, String> directionOf = new LinkedHashMap<>();
    private final List<String> directions = new ArrayList<>();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void chainsAndSiblingsAcrossDirectionsKeepThePathTheWalkFinds(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> randomHistory(store, new Random(16), 0.0));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void mergesKeepThePathTheWalkFinds(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> randomHistory(store, new Random(25), 0.1));
    }

    /**
     * 240 experiments on three directions (two forked from experiments of the first), each on a
     * parent drawn from the whole history (a fifth of them from another direction's commits), a
     * second parent at {@code merges}; every sixth step a direction adopts one of its commits,
     * drawn from all of them (a child, a sibling, an ancestor of its frontier), and then every
     * commit registered is on each direction's kept path exactly when the walk reaches it.
     */
    private void randomHistory(Store store, Random random, double merges) {
        store.inTransaction(tx -> {
            history.open(tx, "d");
            directions.add("d");
            return null;
        });
        int adoptions = 0;
        for (int step = 0; step < 240; step++) {
            if (step == 40 || step == 120) {
                String name = "fork-" + step;
                String base = pick(random, new ArrayList<>(directionOf.keySet()));
                open(store, name, base);
            }
            String direction = directions.get(random.nextInt(directions.size()));
            List<String> own = commitsOf(direction);
            List<String> all = new ArrayList<>(directionOf.keySet());
            all.add(history.seed.getCommit());
            String parent = own.isEmpty() || random.nextDouble() < 0.2 ? pick(random, all) : pick(random, own);
            String secondParent = random.nextDouble() < merges ? pick(random, all) : "";
            if (parent.equals(secondParent)) {
                secondParent = "";
            }
            register(store, direction, Fixtures.commit(), parent, secondParent);
            if (step % 6 == 5) {
                String adopting = directions.get(random.nextInt(directions.size()));
                List<String> candidates = commitsOf(adopting);
                if (!candidates.isEmpty()) {
                    adopt(store, adopting, pick(random, candidates));
                    adoptions++;
                    assertKeptAsWalked(store);
                }
            }
        }
        assertThat(adoptions).isGreaterThan(30);
    }

    /**
     * A frontier moved by a coordinator that keeps no path (an older one, on a shared store) leaves
     * the path stale: reads take the walk, and the next settlement in the direction keeps it again.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aFrontierMovedWithoutThePathIsWalkedUntilTheNextSettlementKeepsIt(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> {
            store.inTransaction(tx -> {
                history.open(tx, "d");
                return null;
            });
            directions.add("d");
            String c = history.seed.getCommit();
            List<String> chain = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                c = register(store, "d", Fixtures.commit(), c, "");
                chain.add(c);
            }
            adopt(store, "d", chain.get(2));
            String sibling = register(store, "d", Fixtures.commit(), chain.get(1), "");
            store.inTransaction(tx -> {  // an older coordinator's adoption: the frontier alone
                tx.updateFrontier("d", new Frontier(chain.get(5), OptionalDouble.of(2.0), "cpu"));
                return null;
            });
            store.inReadTransaction(tx -> {
                DirectionRecord d = tx.direction("d").orElseThrow();
                assertThat(tx.onKeptPath("d", chain.get(5), chain.get(4))).as("stale: not read").isEmpty();
                assertThat(AdoptedPath.contains(tx, d, chain.get(4))).as("the walk answers").isTrue();
                assertThat(AdoptedPath.contains(tx, d, sibling)).isFalse();
                return null;
            });
            store.inTransaction(tx -> {
                AdoptedPath.keep(tx, tx.direction("d").orElseThrow());
                return null;
            });
            store.inReadTransaction(tx -> {
                assertThat(tx.onKeptPath("d", chain.get(5), chain.get(4))).contains(true);
                assertThat(tx.onKeptPath("d", chain.get(5), sibling)).contains(false);
                return null;
            });
            adopt(store, "d", sibling);  // on from the kept path: a sibling drops the chain down to the fork
            assertKeptAsWalked(store);
        });
    }

    /**
     * A store from before migration 25: the migration keeps an empty path for each direction whose
     * frontier is still its base, and none for one that adopted, which is walked until its next
     * settlement keeps it.
     */
    @Test
    void aStoreFromBeforeThePathsKeepsThemForBasesAtOnceAndForOthersAtTheNextSettlement() throws Exception {
        List<String> chain = new ArrayList<>();
        try (SqliteStore store = SqliteStore.open(dir)) {
            store.inTransaction(tx -> {
                history.open(tx, "d", "untouched");
                return null;
            });
            directions.add("d");
            directions.add("untouched");
            String c = history.seed.getCommit();
            for (int i = 0; i < 5; i++) {
                c = register(store, "d", Fixtures.commit(), c, "");
                chain.add(c);
            }
            register(store, "untouched", Fixtures.commit(), history.seed.getCommit(), "");
            adopt(store, "d", chain.get(3));
        }
        SchemaRewind.sqlite(dir.resolve(SqliteStore.FILE_NAME), 24);
        try (SqliteStore store = SqliteStore.open(dir)) {
            store.inReadTransaction(tx -> {
                assertThat(tx.onKeptPath("untouched", history.seed.getCommit(), commitsOf("untouched").get(0)))
                        .as("a direction still on its base: kept by the migration").contains(false);
                assertThat(tx.onKeptPath("d", chain.get(3), chain.get(1))).as("one that adopted: not yet").isEmpty();
                assertThat(AdoptedPath.contains(tx, tx.direction("d").orElseThrow(), chain.get(1))).isTrue();
                assertThat(AdoptedPath.contains(tx, tx.direction("d").orElseThrow(), chain.get(4))).isFalse();
                return null;
            });
            store.inTransaction(tx -> {
                AdoptedPath.keep(tx, tx.direction("d").orElseThrow());
                return null;
            });
            assertKeptAsWalked(store);
        }
    }

    /**
     * Adoptions made by the settlement of real results keep the path: each experiment's report
     * says adopted exactly when the walk from the frontier reaches it, read from the kept rows.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void settledAdoptionsKeepThePathTheReportsRead(String kind) throws Exception {
        SettledHistory.onStore(kind, dir, store -> {
            SettledHistory h = new SettledHistory(store, Fixtures.manifest(1, 0.01));
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put(h.base, 3.0);
            String c = h.base;
            for (int i = 1; i <= 4; i++) {
                String sibling = h.experiment(c);
                metrics.put(sibling, 3.5);  // worse: left off the path
                c = h.experiment(c);
                metrics.put(c, 3.0 - 0.1 * i);
                h.runOpenEvaluations((commit, seed) -> metrics.get(commit));
            }
            String frontier = c;
            ExperimentReports reports = new ExperimentReports(store);
            store.inReadTransaction(tx -> {
                assertThat(tx.direction(SettledHistory.DIRECTION).orElseThrow().frontier().commit()).isEqualTo(frontier);
                int adopted = 0;
                for (String commit : metrics.keySet()) {
                    if (commit.equals(h.base)) {
                        continue;  // the seed's commit: no experiment to report
                    }
                    boolean walked = AdoptedPath.walkReaches(tx, frontier, commit);
                    assertThat(tx.onKeptPath(SettledHistory.DIRECTION, frontier, commit)).contains(walked);
                    assertThat(reports.report(commit).getAdopted()).as(commit).isEqualTo(walked);
                    adopted += walked ? 1 : 0;
                }
                assertThat(adopted).isEqualTo(4);
                return null;
            });
        });
    }

    private void open(Store store, String name, String base) {
        store.inTransaction(tx -> {
            Direction d = Fixtures.direction(history.operator, name, history.seed.getName(), base, history.time++);
            tx.insertDirection(d, Envelopes.sign(history.operator, d), history.time);
            return null;
        });
        directions.add(name);
    }

    private String register(Store store, String direction, String commit, String parent, String secondParent) {
        store.inTransaction(tx -> {
            Experiment e = Fixtures.experiment(history.runner, history.seed.getName(), direction, commit, parent,
                    history.time++).toBuilder().setSecondParent(secondParent).build();
            tx.insertExperiment(e, Envelopes.sign(history.runner, e), history.time);
            return null;
        });
        directionOf.put(commit, direction);
        return commit;
    }

    /** What {@link Settlement#adoptWhatWins} does on an adoption: the frontier moved, the path with it. */
    private static void adopt(Store store, String direction, String commit) {
        store.inTransaction(tx -> {
            DirectionRecord d = tx.direction(direction).orElseThrow();
            AdoptedPath.keep(tx, d);
            tx.updateFrontier(direction, new Frontier(commit, OptionalDouble.of(1.0), "cpu"));
            AdoptedPath.adopted(tx, direction, d.frontier().commit(), commit);
            return null;
        });
    }

    /** Every direction's path is kept for its frontier, and holds each of its commits exactly when the walk reaches it. */
    private void assertKeptAsWalked(Store store) {
        store.inReadTransaction(tx -> {
            for (String direction : directions) {
                DirectionRecord d = tx.direction(direction).orElseThrow();
                for (String commit : directionOf.keySet()) {
                    boolean walked = AdoptedPath.walkReaches(tx, d.frontier().commit(), commit);
                    if (directionOf.get(commit).equals(direction)) {
                        assertThat(tx.onKeptPath(direction, d.frontier().commit(), commit))
                                .as("%s on %s's path (frontier %s)", commit, direction, d.frontier().commit())
                                .contains(walked);
                    } else if (!walked) {
                        // another direction's commit: kept only if on the path (and registered after it opened)
                        assertThat(tx.onKeptPath(direction, d.frontier().commit(), commit)).contains(false);
                    }
                }
            }
            return null;
        });
    }

    private List<String> commitsOf(String direction) {
        return directionOf.entrySet().stream().filter(e -> e.getValue().equals(direction)).map(Map.Entry::getKey)
                .toList();
    }

    private static String pick(Random random, List<String> from) {
        return from.get(random.nextInt(from.size()));
    }
}
