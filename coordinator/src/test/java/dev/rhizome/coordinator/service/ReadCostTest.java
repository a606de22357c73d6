package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every read route costs the store a bounded number of rows however long the history (counted by
 * the store itself, {@code rhizome_store_rows_read_total}): a client asking in a loop must not make
 * the database go through every result each time. The same reads, repeated, are measured on a
 * history and again on one four times longer: the longer history may cost no more rows. The
 * shared views' clock is held still, so that a copy a route shares counts as fresh, as it is for a
 * second in a running coordinator.
 */
class ReadCostTest {
    private static final int REPEATS = 5;
    /** Rows one read of any route below may cost, far under the history each one is given. */
    private static final long ROWS_PER_READ = 100;
    /**
     * Rows one rebuild of a shared view may cost: the dashboard shows 50 results and 50
     * experiments of the direction, each with its results.
     */
    private static final long ROWS_PER_REBUILD = 250;
    /**
     * The stripes of the units' and envelopes' counters a first reading of the totals and of the
     * audit count adds up on a shared store (16 each, migration 21; none on SQLite): as many
     * whatever the history.
     */
    private static final long STRIPES_READ = 2 * 16;
    /** The network's id (migration 24), one row, read once by each coordinator's views and kept. */
    private static final long NETWORK_ID_READ = 1;

    @TempDir
    Path dir;

    private final BoardHistory history = new BoardHistory();
    private final Seed seed = history.seed;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void repeatedReadsOfEveryRouteCostTheSameRowsOnAHistoryFourTimesLonger(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, this::check);
    }

    /**
     * Nodes known, leases ever expired and the audit count (the envelopes stored) change anywhere
     * in the history, so they cannot be summed from the rows added since a mark; the store keeps
     * them as it writes. Read with a clock that moves a minute per look, so that nothing shared
     * is fresh: each read below pays its own rows, and pays no more on four times the nodes,
     * expired leases and envelopes.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void keptCountsCostTheSameRowsOnFourTimesTheNodesExpiredLeasesAndEnvelopes(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, this::checkKeptCounts);
    }

    /**
     * A coordinator's first reading of the totals and the directions' counts (after a start) reads
     * the counts the store keeps, a few rows, as every later one does: it used to count the whole
     * history once per process.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aFirstReadingOfTheTotalsCostsAFewRowsWhateverTheHistory(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, this::checkFirstReadings);
    }

    private void checkFirstReadings(Store store) {
        begin(store);
        history.addHistory(store, 150);
        long shortHistory = firstReadings(store, 150);
        history.addHistory(store, 450);
        long longHistory = firstReadings(store, 600);
        assertThat(longHistory).as("rows read by a first reading of /v1/stats, /metrics and /v1/directions on 600 "
                + "results, against %d on 150", shortHistory).isLessThanOrEqualTo(shortHistory)
                .isLessThanOrEqualTo(20 + STRIPES_READ + NETWORK_ID_READ);
    }

    /** Rows read by the first reading of each route by a coordinator just started (views of its own). */
    private static long firstReadings(Store store, int results) {
        long start = store.rowsRead();
        Views views = new Views(store, () -> 0);
        assertThat(views.stats().getResults()).isEqualTo(results);
        CoordinatorMetrics metrics = new CoordinatorMetrics();
        metrics.watch(store, new Views(store, () -> 0)::storedStats);
        assertThat(metrics.scrape()).contains("rhizome_store_rows_read_total");
        assertThat(new Views(store, () -> 0).directions(PageRequest.parse(Views.DIRECTIONS, Views.cursorFields(Views.DIRECTIONS), "", ""))
                .getDirections(0).getResults()).isEqualTo(results);
        return store.rowsRead() - start;
    }

    /**
     * A direction's leaderboard and the dashboard, rebuilt (the shared copy gone stale) after each
     * few new results, read what is new since the last build, not the direction's history: a
     * rebuild on 600 results costs no more rows than one on 150.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aRebuiltBoardAndDashboardCostNoMoreRowsOnAHistoryFourTimesLonger(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, this::checkRebuilds);
    }

    /** A leaderboard and a dashboard on a clock the test moves ({@code nanos}), after {@link #begin}. */
    private record Rebuilt(long[] nanos, Views views, DashboardView dashboard) {
    }

    private Rebuilt rebuilt(Store store) {
        begin(store);
        long[] nanos = {0};
        SharedViews clock = new SharedViews(() -> nanos[0]);
        Views views = new Views(store, () -> 0, clock);
        return new Rebuilt(nanos, views, new DashboardView(store, views, new PeerDirectory(store, Clock.systemUTC()),
                50, 50, clock));
    }

    private void checkRebuilds(Store store) {
        Rebuilt r = rebuilt(store);
        long[] nanos = r.nanos();
        Views views = r.views();
        DashboardView dashboard = r.dashboard();
        Map<String, Supplier<Object>> rebuilds = new LinkedHashMap<>();
        rebuilds.put("GET /v1/leaderboard?direction=d", () -> views.leaderboard("d", ""));
        rebuilds.put("GET /v1/dashboard", dashboard::json);

        history.addHistory(store, 150);
        Map<String, Long> shortHistory = rebuildCosts(store, rebuilds, nanos);
        history.addHistory(store, 450);
        Map<String, Long> longHistory = rebuildCosts(store, rebuilds, nanos);
        for (String route : rebuilds.keySet()) {
            assertThat(longHistory.get(route)).as(route + ": rows read by %d rebuilds on 600 results, against %d on 150",
                    REPEATS, longHistory.get(route), shortHistory.get(route))
                    .isLessThanOrEqualTo(shortHistory.get(route))
                    .isLessThanOrEqualTo(REPEATS * ROWS_PER_REBUILD);
        }
    }

    /**
     * The dashboard shows the first 50 open directions, then closed ones: it reads them as a range
     * of an index each, and the closures of those shown only, where it read every direction and
     * every closure at each build. Rebuilt on 60 more directions (half of them closed) and again on
     * four times as many, it reads no more rows, and shows the same page.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aRebuiltDashboardCostsNoMoreRowsOnFourTimesTheDirectionsAndClosures(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, this::checkDirections);
    }

    private void checkDirections(Store store) {
        Rebuilt r = rebuilt(store);
        long[] nanos = r.nanos();
        DashboardView dashboard = r.dashboard();
        Map<String, Supplier<Object>> rebuilds = Map.of("GET /v1/dashboard", dashboard::json);
        history.addHistory(store, 50);
        openHalfClosed(store, 0, 60);
        long few = rebuildCosts(store, rebuilds, nanos).get("GET /v1/dashboard");
        JsonObject before = JsonParser.parseString(dashboard.json()).getAsJsonObject();
        openHalfClosed(store, 60, 180);
        long many = rebuildCosts(store, rebuilds, nanos).get("GET /v1/dashboard");
        assertThat(many).as("rows read by %d rebuilds of the dashboard on 241 directions (120 closed), against %d "
                + "on 61 (30 closed)", REPEATS, few).isLessThanOrEqualTo(few)
                // a rebuild of one direction's view, and each direction shown: its row and its counts'
                .isLessThanOrEqualTo(REPEATS * (ROWS_PER_REBUILD + 2L * DashboardView.DIRECTIONS_SHOWN));

        nanos[0] += 3_600_000_000_000L;
        JsonObject after = JsonParser.parseString(dashboard.json()).getAsJsonObject();
        assertThat(after.get("directions_total").getAsLong()).isEqualTo(241);
        assertThat(after.get("directions_open").getAsLong()).isEqualTo(121);
        List<String> shown = new ArrayList<>();
        after.getAsJsonArray("directions").forEach(d -> shown.add(d.getAsJsonObject().get("name").getAsString()));
        List<String> open = new ArrayList<>(List.of(BoardHistory.DIRECTION));
        for (int i = 1; open.size() < DashboardView.DIRECTIONS_SHOWN; i += 2) {
            open.add("more-" + i);
        }
        assertThat(shown).as("the first 50 open directions in the order opened").isEqualTo(open);
        assertThat(after.getAsJsonArray("leaderboards")).hasSize(DashboardView.DIRECTIONS_SHOWN);
        List<String> shownBefore = new ArrayList<>();
        before.getAsJsonArray("directions").forEach(d -> shownBefore.add(d.getAsJsonObject().get("name").getAsString()
                + (d.getAsJsonObject().get("closed").getAsBoolean() ? " (closed)" : "")));
        List<String> expected = new ArrayList<>(open.subList(0, 31));
        for (int i = 0; expected.size() < DashboardView.DIRECTIONS_SHOWN; i += 2) {
            expected.add("more-" + i + " (closed)");
        }
        assertThat(shownBefore).as("open directions first, then closed ones, each in the order opened")
                .isEqualTo(expected);
    }

    /** {@code n} more directions, every other one (the even) closed once opened. */
    private void openHalfClosed(Store store, int from, int n) {
        store.inTransaction(tx -> {
            for (int i = from; i < from + n; i++) {
                history.open(tx, "more-" + i);
                if (i % 2 == 0) {
                    tx.closeDirection("more-" + i, "closed " + i, history.time++);
                }
            }
            return null;
        });
    }

    /** Rows read by {@link #REPEATS} rebuilds of each view, each after 5 more results, after one that catches up. */
    private Map<String, Long> rebuildCosts(Store store, Map<String, Supplier<Object>> views, long[] nanos) {
        Map<String, Long> costs = new LinkedHashMap<>();
        views.forEach((route, read) -> costs.put(route, 0L));
        nanos[0] += 3_600_000_000_000L;
        views.values().forEach(Supplier::get);
        for (int i = 0; i < REPEATS; i++) {
            history.addHistory(store, 5);
            nanos[0] += 3_600_000_000_000L;  // the shared copies are stale: each read below rebuilds
            views.forEach((route, read) -> {
                long start = store.rowsRead();
                assertThat(read.get()).isNotNull();
                costs.merge(route, store.rowsRead() - start, Long::sum);
            });
        }
        return costs;
    }

    private void checkKeptCounts(Store store) {
        begin(store);
        long[] nanos = {0};
        Views views = new Views(store, () -> 0, new SharedViews(() -> nanos[0] += 60_000_000_000L));
        CoordinatorMetrics metrics = new CoordinatorMetrics();
        metrics.watch(store, views::storedStats);
        Map<String, Supplier<Object>> reads = new LinkedHashMap<>();
        reads.put("GET /v1/stats", views::stats);
        reads.put("GET /metrics", metrics::scrape);
        reads.put("an adoption's audit count", () -> store.inTransaction(Store.Transaction::auditCount));

        addStanding(store, 0, 150);
        history.addHistory(store, 150);
        Map<String, Long> shortHistory = costs(store, reads);
        addStanding(store, 150, 450);
        history.addHistory(store, 450);
        Map<String, Long> longHistory = costs(store, reads);

        assertThat(views.stats().getNodes()).isEqualTo(600);
        assertThat(views.stats().getLeasesExpired()).isEqualTo(600);
        assertThat(metrics.scrape()).contains("rhizome_nodes_known 600").contains("rhizome_leases_expired 600");
        // the seed, the direction, and an experiment and a result for each of the 600
        assertThat(store.inTransaction(Store.Transaction::auditCount)).isEqualTo(2 + 2 * 600);
        for (String read : reads.keySet()) {
            assertThat(longHistory.get(read)).as(read + ": rows read by %d reads on 600 nodes, expired leases and "
                    + "results, against %d on 150", REPEATS, longHistory.get(read), shortHistory.get(read))
                    .isLessThanOrEqualTo(shortHistory.get(read))
                    .isLessThanOrEqualTo(REPEATS * ROWS_PER_READ);
        }
    }

    /** {@code n} more nodes announced, and as many units whose lease expired before they were done, in transactions of 50. */
    private void addStanding(Store store, int from, int n) {
        com.google.protobuf.ByteString holder = com.google.protobuf.ByteString.copyFrom(history.runner.publicId().bytes());
        for (int done = 0; done < n; done += 50) {
            int first = from + done;
            int batch = Math.min(50, n - done);
            store.inTransaction(tx -> {
                for (int i = first; i < first + batch; i++) {
                    tx.announce(NodeAnnouncement.newBuilder().setNode(Identity.generate().publicId().toByteString())
                            .setHost("10.0.0.1").setPort(7000).setHardwareClass("cpu").setTimeMs(history.time).build(), history.time++);
                    UnitRecord unit = UnitRecord.open("expiring-" + i, WorkUnit.Kind.EVALUATE, "tiny-lm", "d",
                            seed.getCommit(), "", holder, history.time);
                    tx.insertUnit(unit);
                    UnitRecord expired = unit.leasedTo(holder, history.time + 1).expired();
                    tx.updateUnit(expired);
                    // done later by another: the open queue (counted along its index) stays as it was
                    tx.updateUnit(expired.doneBy(holder));
                }
                return null;
            });
        }
    }

    private void begin(Store store) {
        store.inTransaction(tx -> {
            history.open(tx, BoardHistory.DIRECTION);
            tx.insertUnit(UnitRecord.open("base-unit", WorkUnit.Kind.EVALUATE, "tiny-lm", "d", seed.getCommit(), "",
                    com.google.protobuf.ByteString.copyFrom(history.operator.publicId().bytes()), 3));
            return null;
        });
    }

    private void check(Store store) {
        begin(store);
        SharedViews stillClock = new SharedViews(() -> 0L);
        Views views = new Views(store, () -> 0, stillClock);
        DashboardView dashboard = new DashboardView(store, views, new PeerDirectory(store, Clock.systemUTC()), 50, 50,
                stillClock);
        CoordinatorMetrics metrics = new CoordinatorMetrics();
        metrics.watch(store, views::storedStats);

        Map<String, Supplier<Object>> routes = new LinkedHashMap<>();
        routes.put("GET /v1/directions", () -> views.directions(PageRequest.parse(Views.DIRECTIONS, Views.cursorFields(Views.DIRECTIONS), "", "")));
        routes.put("GET /v1/stats", views::stats);
        routes.put("GET /metrics", metrics::scrape);
        routes.put("GET /v1/trials?commit=<base>", () -> views.trials("", seed.getCommit(),
                PageRequest.parse(Views.TRIALS, Views.cursorFields(Views.TRIALS), "", "")));
        routes.put("GET /v1/results?direction=d&newest=50", () -> views.newestResults("d", "", 50));
        routes.put("GET /v1/experiments?direction=d&newest=50", () -> views.newestExperiments("d", dev.rhizome.coordinator.core.PageRequest.first(50)));
        // The dashboard and the boards are shared by every request while fresh (SharedViews): with
        // the clock held, repeats share one build (rebuilds: aRebuiltBoardAndDashboard... below).
        routes.put("GET /v1/dashboard", dashboard::json);
        routes.put("GET /v1/leaderboard?direction=d", () -> views.leaderboard("d", ""));

        history.addHistory(store, 150);
        Map<String, Long> shortHistory = costs(store, routes);
        long before = store.rowsRead();
        assertThat(views.stats().getResults()).as("the sums caught up").isEqualTo(150);
        history.addHistory(store, 450);
        Map<String, Long> longHistory = costs(store, routes);

        assertThat(views.stats().getResults()).isEqualTo(600);
        assertThat(views.stats().getExperiments()).isEqualTo(600);
        assertThat(views.directions(PageRequest.parse(Views.DIRECTIONS, Views.cursorFields(Views.DIRECTIONS), "", "")).getDirections(0).getResults())
                .isEqualTo(600);
        for (String route : routes.keySet()) {
            assertThat(longHistory.get(route)).as(route + ": rows read by %d reads on 600 results, against %d on 150",
                    REPEATS, longHistory.get(route), shortHistory.get(route))
                    .isLessThanOrEqualTo(shortHistory.get(route))
                    .isLessThanOrEqualTo(REPEATS * ROWS_PER_READ);
        }
        assertThat(store.rowsRead()).as("the counter counts what a count goes through").isGreaterThan(before + 450);
        assertThat(metrics.scrape()).contains("rhizome_store_rows_read_total");
    }

    /**
     * A listing's filters are each read along an index that finds what matches, not one that goes
     * through the history to drop what does not: the rows counted above are the rows returned, so
     * a plan that reads every result of a direction to return none costs no row. SQLite counts the
     * instructions each view ran ({@link Store#readSteps}); on four times the history, each filtered
     * listing may run no more. {@code /v1/results?direction=d&commit=C} went along the direction's
     * index through all of its results for a commit run on none of them.
     */
    @org.junit.jupiter.api.Test
    void filteredListingsRunNoMoreStepsOnAHistoryFourTimesLongerOnSqlite() throws Exception {
        try (dev.rhizome.coordinator.store.SqliteStore store = dev.rhizome.coordinator.store.SqliteStore.open(dir)) {
            begin(store);
            String measured = dev.rhizome.coordinator.support.Fixtures.commit();
            String unknown = dev.rhizome.coordinator.support.Fixtures.commit();
            store.inTransaction(tx -> {
                history.experiment(tx, BoardHistory.DIRECTION, measured, seed.getCommit());
                history.result(tx, BoardHistory.DIRECTION, measured, 3.0);
                return null;
            });
            Views views = new Views(store, () -> 0, new SharedViews(() -> 0L));
            Map<String, Supplier<Object>> routes = new LinkedHashMap<>();
            routes.put("GET /v1/results?direction=d&commit=<run elsewhere>",
                    () -> views.results("d", unknown, page(Views.RESULTS)));
            routes.put("GET /v1/results?direction=d&commit=<run there>",
                    () -> views.results("d", measured, page(Views.RESULTS)));
            routes.put("GET /v1/results?commit=<never run>", () -> views.results("", unknown, page(Views.RESULTS)));
            // a direction never opened is a 404, found by one probe however long the history
            routes.put("GET /v1/results?direction=<none>", () -> refusal(() -> views.results("none", "", page(Views.RESULTS))));
            routes.put("GET /v1/experiments?direction=<none>",
                    () -> refusal(() -> views.experiments("none", page(Views.EXPERIMENTS))));
            routes.put("GET /v1/papers?direction=d", () -> views.papers("d", page(Views.PAPERS)));
            routes.put("GET /v1/adoptions?direction=d", () -> views.adoptions("d", page(Views.ADOPTIONS)));
            routes.put("GET /v1/trials?commit=<run there>", () -> views.trials("", measured, page(Views.TRIALS)));
            routes.put("GET /v1/units?state=OPEN", () -> views.units(java.util.Optional.of(
                    dev.rhizome.proto.v1.UnitStatus.State.OPEN), page(Views.UNITS)));
            routes.put("GET /v1/trials?direction=d", () -> views.trials("d", "", page(Views.TRIALS)));
            routes.put("GET /v1/experiment?commit=<run there>", () -> views.experimentReport(measured));
            routes.put("GET /v1/volunteers", () -> views.volunteers(history.time, page(Views.VOLUNTEERS)));
            routes.put("GET /v1/audit", () -> views.auditTrail(page(Views.AUDIT)));
            // its process clock a second on at every ask: /v1/nodes' shared ranking is built at each,
            // so what is measured is the ranking's read, not the copy's
            java.util.concurrent.atomic.AtomicLong everyAskAfresh = new java.util.concurrent.atomic.AtomicLong();
            PeerDirectory peers = new PeerDirectory(store, Clock.systemUTC(), WriteQuotas.defaults(),
                    () -> everyAskAfresh.addAndGet(FreshCopy.MIN_AGE_NANOS));
            routes.put("GET /v1/peers?commit=<never run>", () -> peers.peers(unknown));
            routes.put("GET /v1/nodes", peers::nodes);

            history.addHistory(store, 150);
            Map<String, Long> shortHistory = steps(store, routes);
            history.addHistory(store, 450);
            Map<String, Long> longHistory = steps(store, routes);
            for (String route : routes.keySet()) {
                // A thousand instructions' slack per read: each statement's count is cut to whole thousands.
                assertThat(longHistory.get(route)).as(route + ": thousands of SQLite instructions run by %d reads on "
                        + "600 results, against %d on 150", REPEATS, shortHistory.get(route))
                        .isLessThanOrEqualTo(shortHistory.get(route) + REPEATS);
            }
        }
    }

    /**
     * A result on a direction's frontier compares the frontier with the candidates that could beat
     * it (kept as their results settled, {@link AdoptionCandidates}), where it read every experiment
     * of the direction and each one's results, on the write path: on four times the experiments,
     * each decided and worse than the frontier, settling the frontier's replicas reads no more rows.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aFrontiersSettlementReadsNoMoreRowsOnFourTimesTheExperiments(String kind) throws Exception {
        long few = frontierSettlementsAfter(kind, 30);
        long many = frontierSettlementsAfter(kind, 120);
        assertThat(many).as("rows read settling %d replicas of the frontier on 120 experiments, against %d on 30",
                REPEATS, few).isLessThanOrEqualTo(few).isLessThanOrEqualTo(REPEATS * ROWS_PER_READ);
    }

    /**
     * On a history of its own (the frontier's trial grows by the same replicas in each): rows read
     * settling {@link #REPEATS} replicas of the frontier after {@code experiments} worse ones.
     */
    private long frontierSettlementsAfter(String kind, int experiments) throws Exception {
        long[] rows = {0};
        SettledHistory.onStore(kind, dir.resolve("after-" + experiments), store -> {
            SettledHistory h = new SettledHistory(store,
                    dev.rhizome.coordinator.support.Fixtures.manifest(1, 0.01, 3));
            h.runOpenEvaluations((commit, s) -> 3.0);  // the base, the frontier, measured
            addWorse(h, experiments);
            rows[0] = frontierSettlements(h);
            store.inTransaction(tx -> {
                assertThat(tx.direction(SettledHistory.DIRECTION).orElseThrow().frontier().commit())
                        .as("nothing worse was adopted").isEqualTo(h.base);
                return null;
            });
        });
        return rows[0];
    }

    /** {@code n} experiments on the base, each measured worse than it at every adoption seed. */
    private static void addWorse(SettledHistory h, int n) {
        for (int i = 0; i < n; i++) {
            h.experiment(h.base);
        }
        h.runOpenEvaluations((commit, s) -> 3.5);
    }

    /** Rows read by storing and settling {@link #REPEATS} more replicas of the frontier's trial. */
    private static long frontierSettlements(SettledHistory h) {
        long rows = 0;
        for (int i = 0; i < REPEATS; i++) {
            h.store.inTransaction(tx -> {
                Settlement.queueTrial(tx, "tiny-lm", SettledHistory.DIRECTION, h.base, "",
                        com.google.protobuf.ByteString.EMPTY, h.manifest.getRandomSeed(), 1, h.clock.millis());
                return null;
            });
            long before = h.store.rowsRead();
            h.runOpenEvaluations((commit, s) -> 3.0);
            rows += h.store.rowsRead() - before;
        }
        return rows;
    }

    /**
     * Whether an experiment was adopted ({@code GET /v1/experiment}) is read from its direction's
     * adopted path, kept as rows where the frontier moves ({@link AdoptedPath}): on a chain of
     * 2,000 adopted commits a report reads no more rows than on one of 10, where it walked back
     * from the frontier through every parent (one experiment read each) to find the oldest, or to
     * find that a sibling of the oldest is not there.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void anExperimentsReportReadsNoMoreRowsOnAnAdoptedChainTwoHundredTimesLonger(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> {
            begin(store);
            List<String> chain = new ArrayList<>();
            String sibling = dev.rhizome.coordinator.support.Fixtures.commit();
            adoptAChain(store, chain, 10);
            store.inTransaction(tx -> {
                history.experiment(tx, BoardHistory.DIRECTION, sibling, seed.getCommit());
                return null;
            });
            Views views = new Views(store, () -> 0, new SharedViews(() -> 0L));
            Map<String, Supplier<Object>> routes = new LinkedHashMap<>();
            routes.put("GET /v1/experiment?commit=<the oldest adopted>", () -> {
                assertThat(views.experimentReport(chain.get(0)).getAdopted()).isTrue();
                return chain;
            });
            routes.put("GET /v1/experiment?commit=<its sibling>", () -> {
                assertThat(views.experimentReport(sibling).getAdopted()).isFalse();
                return chain;
            });
            Map<String, Long> shortChain = costs(store, routes);
            adoptAChain(store, chain, 1_990);
            Map<String, Long> longChain = costs(store, routes);
            for (String route : routes.keySet()) {
                assertThat(longChain.get(route)).as(route + ": rows read by %d reads on a chain of 2,000 adopted, "
                        + "against %d on 10", REPEATS, shortChain.get(route))
                        .isLessThanOrEqualTo(shortChain.get(route)).isLessThanOrEqualTo(REPEATS * ROWS_PER_READ);
            }
        });
    }

    /** {@code n} experiments each on the one before (the first on the seed's commit), the last adopted. */
    private void adoptAChain(Store store, List<String> chain, int n) {
        store.inTransaction(tx -> {
            String previous = tx.direction(BoardHistory.DIRECTION).orElseThrow().frontier().commit();
            for (int i = 0; i < n; i++) {
                String commit = dev.rhizome.coordinator.support.Fixtures.commit();
                history.experiment(tx, BoardHistory.DIRECTION, commit, chain.isEmpty() ? seed.getCommit()
                        : chain.get(chain.size() - 1));
                chain.add(commit);
            }
            String frontier = chain.get(chain.size() - 1);
            tx.updateFrontier(BoardHistory.DIRECTION, new dev.rhizome.coordinator.core.Frontier(frontier,
                    java.util.OptionalDouble.of(3.0), ""));
            AdoptedPath.adopted(tx, BoardHistory.DIRECTION, previous, frontier);
            return null;
        });
    }

    /**
     * A claim that may explore reads the open directions with their loads: as one range of the
     * index of open directions, where it went through every direction ever opened and looked up
     * each one's closure. On four times the closed directions (the same open ones) it runs no
     * more SQLite instructions, and reads the same open directions.
     */
    @org.junit.jupiter.api.Test
    void theOpenDirectionsLoadsRunNoMoreStepsOnFourTimesTheClosedDirections() throws Exception {
        try (dev.rhizome.coordinator.store.SqliteStore store = dev.rhizome.coordinator.store.SqliteStore.open(dir)) {
            begin(store);
            store.inTransaction(tx -> {
                for (int i = 0; i < 10; i++) {
                    history.open(tx, "open-" + i);
                }
                return null;
            });
            closedDirections(store, 0, 60);
            long few = loadSteps(store);
            closedDirections(store, 60, 180);
            long many = loadSteps(store);
            assertThat(many).as("thousands of SQLite instructions of %d readings of the open directions' loads on "
                    + "240 closed directions, against %d on 60", REPEATS, few).isLessThanOrEqualTo(few + REPEATS);
            assertThat(store.inReadTransaction(Store.Transaction::loadsOfOpenDirections))
                    .extracting(dev.rhizome.coordinator.core.DirectionLoad::direction).hasSize(11)
                    .startsWith(BoardHistory.DIRECTION).doesNotContain("closed-0", "closed-239");
        }
    }

    private void closedDirections(Store store, int from, int n) {
        store.inTransaction(tx -> {
            for (int i = from; i < from + n; i++) {
                history.open(tx, "closed-" + i);
                tx.closeDirection("closed-" + i, "done", history.time++);
            }
            return null;
        });
    }

    private static long loadSteps(Store store) {
        store.inReadTransaction(Store.Transaction::loadsOfOpenDirections);
        long start = store.readSteps();
        for (int i = 0; i < REPEATS; i++) {
            assertThat(store.inReadTransaction(Store.Transaction::loadsOfOpenDirections)).isNotEmpty();
        }
        return store.readSteps() - start;
    }

    private static PageRequest page(String list) {
        return PageRequest.parse(list, Views.cursorFields(list), "10", "");
    }

    /** SQLite's instructions (thousands) run by {@link #REPEATS} reads of each route, after one read. */
    private static Map<String, Long> steps(Store store, Map<String, Supplier<Object>> routes) {
        Map<String, Long> steps = new LinkedHashMap<>();
        routes.forEach((route, read) -> {
            read.get();
            long start = store.readSteps();
            for (int i = 0; i < REPEATS; i++) {
                assertThat(read.get()).isNotNull();
            }
            steps.put(route, store.readSteps() - start);
        });
        return steps;
    }

    /** Rows read by {@link #REPEATS} reads of each route, after one read that catches up and fills what is shared. */
    private static Map<String, Long> costs(Store store, Map<String, Supplier<Object>> routes) {
        Map<String, Long> costs = new LinkedHashMap<>();
        routes.forEach((route, read) -> {
            read.get();
            long start = store.rowsRead();
            for (int i = 0; i < REPEATS; i++) {
                assertThat(read.get()).isNotNull();
            }
            costs.put(route, store.rowsRead() - start);
        });
        return costs;
    }

    /** The refusal a read answers (its message), which the caller requires it to give. */
    private static Object refusal(Supplier<Object> read) {
        try {
            read.get();
        } catch (dev.rhizome.coordinator.core.Rejection e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a refusal");
    }
}
