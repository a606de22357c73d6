package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.service.ResultIntake;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.SeededOverApi;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Results settle beside each other on a shared PostgreSQL (PostgresStore's class comment): two
 * coordinators on one database take results of several directions, and of one direction, at
 * once, and end where settling the same results one at a time ends.
 */
class ConcurrentSettlementPostgresTest {
    /** Below {@link dev.rhizome.coordinator.core.Reputation#TRUST_AFTER}: no result stands alone on a random draw. */
    private static final int RESULTS_PER_RUNNER = 8;

    @TempDir
    Path dir;

    private final Identity operator = Identity.generate();
    /** The directions' base, set up as the worst of all: adoptions happen whatever commits are drawn. */
    private final String base = Fixtures.commit();

    /**
     * Sixteen runners claim and report through two coordinators at once on four directions (one
     * proposer's experiments in all four, whose record every result adds to) and a fork standing on
     * one of their experiments (whose results settle two directions), while a
     * reader pages through the audit trail. Then every acknowledged result is stored once, the
     * reader's pages skipped and repeated nothing, and replaying the stored results one at a time,
     * in the order of their keys, into a copy of the database as it was before gives the same
     * result states, frontiers, baselines, adoptions, reputations and proposers' records.
     */
    @Test
    void resultsOfManyDirectionsSettleAtOnceAsTheyWouldOneAtATime() throws Exception {
        try (TestPostgres pg = TestPostgres.create(); TestPostgres serial = TestPostgres.create()) {
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            try (Coordinator a = Coordinator.start(config(dir.resolve("a"), pg));
                    Coordinator b = Coordinator.start(config(dir.resolve("b"), pg))) {
                ApiClient apiA = new ApiClient(a.url(), ApiClient.Format.PROTOBUF, Clock.systemUTC());
                ApiClient apiB = new ApiClient(b.url(), ApiClient.Format.PROTOBUF, Clock.systemUTC());
                setUp(apiA, apiB);
                try (PostgresStore copy = PostgresStore.open(serial.address(2))) {
                    copyTables(pg, serial);
                }
                AtomicBoolean running = new AtomicBoolean(true);
                ExecutorService pool = Executors.newFixedThreadPool(17);
                AtomicInteger failures = new AtomicInteger();
                List<String> claimed = Collections.synchronizedList(new ArrayList<>());
                try (PostgresStore reader = PostgresStore.open(pg.address(2))) {
                    List<String> seen = Collections.synchronizedList(new ArrayList<>());
                    AtomicLong pagedTo = new AtomicLong();
                    Future<?> paging = pool.submit(() -> {
                        while (running.get()) {
                            pagedTo.set(page(reader, pagedTo.get(), seen));
                        }
                        return null;
                    });
                    List<Future<?>> runners = new ArrayList<>();
                    for (int r = 0; r < 16; r++) {
                        ApiClient api = r % 2 == 0 ? apiA : apiB;
                        runners.add(pool.submit(() -> {
                            Identity runner = Identity.generate();
                            for (int n = 0; n < RESULTS_PER_RUNNER; n++) {
                                WorkUnit unit = api.claim(runner, WorkUnit.Kind.EVALUATE);
                                if (unit == null) {
                                    return null;
                                }
                                claimed.add(unit.getId());
                                SignedEnvelope envelope = api.sign(runner,
                                        Fixtures.result(runner, unit, metricOf(unit.getCommit()), api.now()));
                                ApiClient.Response ack = api.post("/v1/results", envelope);
                                if (ack.status() == 200) {
                                    acknowledged.add(Envelopes.id(envelope));
                                } else {
                                    failures.incrementAndGet();
                                }
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : runners) {
                        f.get(300, TimeUnit.SECONDS);  // bounded: a deadlock would hold a runner here
                    }
                    running.set(false);
                    paging.get(60, TimeUnit.SECONDS);
                    for (long before = -1; before != pagedTo.get(); ) {  // the rest, once all is committed
                        before = pagedTo.get();
                        pagedTo.set(page(reader, before, seen));
                    }
                    assertThat(failures).hasValue(0);
                    assertThat(claimed).as("every unit leased once").doesNotHaveDuplicates();
                    List<String> all = reader.inReadTransaction(tx -> tx.auditTrail(0, 100_000)).stream()
                            .map(k -> Envelopes.id(k.value())).toList();
                    assertThat(seen).as("pages read while results committed: none skipped, none repeated")
                            .doesNotHaveDuplicates().containsExactlyElementsOf(all);
                } finally {
                    pool.shutdownNow();
                }
            }
            assertThat(acknowledged).as("results settled at once").hasSizeGreaterThan(40);
            List<SignedEnvelope> stored = resultsInKeyOrder(pg);
            assertThat(stored.stream().map(Envelopes::id).toList()).as("every acknowledged result stored once")
                    .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(acknowledged);
            assertPathsKeptAsWalked(pg);

            try (PostgresStore one = PostgresStore.open(serial.address(2))) {
                ResultIntake intake = new ResultIntake(one, Clock.systemUTC(), () -> 0.99);
                for (SignedEnvelope envelope : stored) {
                    Verified<Result> result = Envelopes.open(envelope, Result.getDefaultInstance());
                    one.inTransaction(tx -> {
                        UnitRecord unit = tx.unit(result.record().getWorkUnitId()).orElseThrow();
                        if (unit.state() == UnitStatus.State.OPEN) {
                            tx.updateUnit(unit.leasedTo(result.record().getRunner(), System.currentTimeMillis() + 600_000));
                            tx.recordLease(unit.id(), result.record().getRunner(), System.currentTimeMillis(),
                                    ByteString.EMPTY, Long.MIN_VALUE, "", "", result.record().getHardwareClass());
                        }
                        return null;
                    });
                    intake.accept(result);
                }
            }
            for (String query : List.of(
                    "SELECT envelope_id, state FROM result_states ORDER BY envelope_id",
                    "SELECT name, frontier_commit, frontier_metric, frontier_class, baseline_metric FROM directions ORDER BY name",
                    "SELECT direction, commit_id FROM adoptions ORDER BY direction, audit_count",
                    "SELECT direction, commit_id, depth FROM adopted_path ORDER BY direction, commit_id",
                    "SELECT direction, frontier_commit, chain FROM adopted_path_heads ORDER BY direction",
                    "SELECT * FROM reputations ORDER BY runner",
                    "SELECT * FROM proposer_records ORDER BY proposer",
                    "SELECT commit_id, state, COUNT(*) FROM units GROUP BY commit_id, state ORDER BY commit_id, state")) {
                assertThat(rows(pg, query)).as(query).isNotEmpty().isEqualTo(rows(serial, query));
            }
        }
    }

    /**
     * Each direction's adopted path, written by whichever coordinator adopted, holds each of its
     * experiments exactly when the walk back from its frontier through parents reaches it.
     */
    private static void assertPathsKeptAsWalked(TestPostgres pg) throws Exception {
        try (PostgresStore after = PostgresStore.open(pg.address(2))) {
            after.inReadTransaction(tx -> {
                int adopted = 0;
                for (String direction : List.of("d0", "d1", "d2", "d3", "fork")) {
                    String frontier = tx.direction(direction).orElseThrow().frontier().commit();
                    for (Stored<Experiment> e : tx.experiments(direction)) {
                        String commit = e.record().getCommit();
                        boolean walked = walkReaches(tx, frontier, commit);
                        assertThat(tx.onKeptPath(direction, frontier, commit))
                                .as("%s on %s's path (frontier %s)", commit, direction, frontier).contains(walked);
                        adopted += walked ? 1 : 0;
                    }
                }
                assertThat(adopted).as("commits adopted at once").isPositive();
                return null;
            });
        }
    }

    private static boolean walkReaches(Store.Transaction tx, String frontier, String commit) {
        java.util.Deque<String> todo = new java.util.ArrayDeque<>(List.of(frontier));
        Set<String> seen = new java.util.HashSet<>();
        while (!todo.isEmpty()) {
            String c = todo.pop();
            if (!seen.add(c)) {
                continue;
            }
            if (c.equals(commit)) {
                return true;
            }
            tx.experiment(c).ifPresent(x -> {
                todo.push(x.record().getParent());
                if (!x.record().getSecondParent().isEmpty()) {
                    todo.push(x.record().getSecondParent());
                }
            });
        }
        return false;
    }

    /** Four directions of ten experiments each, and a fork standing on the first direction's first experiment. */
    private void setUp(ApiClient apiA, ApiClient apiB) {
        // one proposer in every direction: its record is added to, not locked, so its results in
        // different directions still settle beside each other
        SeededOverApi seeded = SeededOverApi.post(List.of(apiA, apiB), operator, "tiny-lm", base, Fixtures.manifest(2, 0.5),
                List.of("d0", "d1", "d2", "d3"), 10, Identity.generate());
        String forkBase = seeded.experiments().get("d0").get(0);
        apiA.signAndPost("/v1/directions", operator, Fixtures.direction(operator, "fork", "tiny-lm", forkBase,
                System.currentTimeMillis())).ack();
    }

    /**
     * Each commit measures its own value, agreed by its replicas: every experiment beats the base by
     * far (so frontiers move and adoptions are compared, whichever commits were drawn: with the base
     * drawn like the others, a base near the best adopted nothing once in a fresh clone's run), and
     * some beat the frontier they meet.
     */
    private double metricOf(String commit) {
        if (commit.equals(base)) {
            return 3.0;
        }
        return 1.0 + Math.floorMod(commit.hashCode(), 1000) / 1000.0;
    }

    /** Reads the audit trail after {@code after} in pages of 7, adding what it finds; returns the last key. */
    private static long page(PostgresStore store, long after, List<String> seen) {
        var page = store.inReadTransaction(tx -> tx.auditTrail(after, 7));
        long last = after;
        for (var k : page) {
            seen.add(Envelopes.id(k.value()));
            last = k.key();
        }
        return last;
    }

    private static List<SignedEnvelope> resultsInKeyOrder(TestPostgres pg) throws Exception {
        List<SignedEnvelope> results = new ArrayList<>();
        try (Connection c = pg.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "ORDER BY r.envelope_seq")) {
            while (rs.next()) {
                results.add(SignedEnvelope.parseFrom(rs.getBytes(1)));
            }
        }
        return results;
    }

    /**
     * Copies every row of {@code from}'s schema into {@code to}'s (migrated, empty), and its
     * sequences: the database as it stood, for the serial replay. The counters, which the copy's
     * triggers also count, are replaced with the original's after.
     */
    private static void copyTables(TestPostgres from, TestPostgres to) throws Exception {
        List<String> tables = new ArrayList<>();
        try (Connection c = from.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = '"
                        + from.schema + "' AND table_type = 'BASE TABLE' AND table_name NOT IN "
                        + "('schema_version', 'store_counters', 'counter_stripes', 'direction_counts')")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        tables.sort((x, y) -> Boolean.compare(!x.equals("envelopes"), !y.equals("envelopes")));  // referenced first
        try (Connection c = to.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (String table : tables) {
                s.execute("INSERT INTO " + to.schema + "." + table + " SELECT * FROM " + from.schema + "." + table);
            }
            try (ResultSet rs = s.executeQuery("SELECT table_name, column_name FROM information_schema.columns "
                    + "WHERE table_schema = '" + from.schema + "' AND column_default LIKE 'nextval%'")) {
                List<String[]> serials = new ArrayList<>();
                while (rs.next()) {
                    serials.add(new String[] {rs.getString(1), rs.getString(2)});
                }
                for (String[] t : serials) {
                    s.execute("SELECT setval(pg_get_serial_sequence('" + to.schema + "." + t[0] + "', '" + t[1]
                            + "'), COALESCE((SELECT MAX(" + t[1] + ") FROM " + from.schema + "." + t[0] + "), 0) + 1, false)");
                }
            }
            c.commit();
            for (String table : List.of("store_counters", "counter_stripes", "direction_counts")) {
                s.execute("DELETE FROM " + to.schema + "." + table);
                s.execute("INSERT INTO " + to.schema + "." + table + " SELECT * FROM " + from.schema + "." + table);
            }
            c.commit();
        }
    }

    private static List<List<Object>> rows(TestPostgres pg, String query) throws Exception {
        List<List<Object>> rows = new ArrayList<>();
        try (Connection c = pg.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            ResultSetMetaData meta = rs.getMetaData();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    Object v = rs.getObject(i);
                    row.add(v instanceof byte[] bytes ? java.util.HexFormat.of().formatHex(bytes) : v);
                }
                rows.add(row);
            }
        }
        return rows;
    }

    private CoordinatorConfig config(Path dataDir, TestPostgres pg) {
        return CoordinatorConfig.defaults(dataDir).withStore(pg.address(6)).withLimits(CoordinatorLimits.defaults())
                .withOperators(Set.of(operator.publicId()));
    }
}
