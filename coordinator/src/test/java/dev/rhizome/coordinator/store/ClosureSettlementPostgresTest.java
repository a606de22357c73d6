package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.SeededOverApi;
import dev.rhizome.coordinator.support.TwoCoordinators;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's closure and a settlement that would adopt, on PostgreSQL with two coordinators on
 * one database (as production runs): the writers' lock serializes them (the closure holds it
 * alone, a settlement shared before it reads the closure), so no adoption is ever recorded after
 * its direction's closure record in audit order: the closure either finds the adoption done, or
 * the settlement finds the direction closed and moves no frontier.
 */
class ClosureSettlementPostgresTest {
    /** Base and candidates measure far apart, agreed by both replicas: every candidate wins unless closed. */
    private static final double BASE = 3.0;
    private static final double BETTER = 1.0;
    private static final int RACES = 16;

    @TempDir
    Path dir;

    private final Map<String, Identity> runners = new HashMap<>();

    /**
     * Each direction's candidate has one replica reported; then its closure (through one
     * coordinator) and its last replica, the result whose settlement adopts (through the other),
     * are sent at once, many times. One direction not closed adopts its candidate, so the rule is
     * tested where adoptions happen.
     */
    @Test
    void closuresAndSettlementsRacedThroughTwoCoordinatorsNeverLeaveAnAdoptionAfterTheClosure() throws Exception {
        try (TwoCoordinators net = TwoCoordinators.start(dir)) {
            List<String> names = IntStream.rangeClosed(0, RACES).mapToObj(i -> "d" + i).toList();
            String control = names.get(RACES);
            Map<String, List<WorkUnit>> units = setUp(net, names);
            Map<String, SignedEnvelope> closures = new HashMap<>();
            for (int i = 0; i < RACES; i++) {
                String direction = names.get(i);
                List<WorkUnit> replicas = units.get(direction);
                ApiClient closing = i % 2 == 0 ? net.apiA : net.apiB;
                ApiClient settling = i % 2 == 0 ? net.apiB : net.apiA;
                report(settling, replicas.get(0));
                SignedEnvelope closure = closing.sign(net.operator, DirectionClosure.newBuilder().setName(direction)
                        .setReason("race " + i).setClosedBy(net.operator.publicId().toByteString())
                        .setClosedMs(System.currentTimeMillis()).build());
                closures.put(direction, closure);
                CyclicBarrier together = new CyclicBarrier(2);
                CompletableFuture<ApiClient.Response> closed = CompletableFuture.supplyAsync(() -> {
                    meet(together);
                    return closing.post("/v1/directions/close", closure);
                });
                CompletableFuture<ApiClient.Response> settled = CompletableFuture.supplyAsync(() -> {
                    meet(together);
                    return report(settling, replicas.get(1));
                });
                assertThat(closed.get(120, TimeUnit.SECONDS).status()).as(direction + " closed").isEqualTo(200);
                assertThat(settled.get(120, TimeUnit.SECONDS).status()).as(direction + " result").isEqualTo(200);
            }
            report(net.apiA, units.get(control).get(0));
            report(net.apiB, units.get(control).get(1));

            try (Connection c = net.pg.connect()) {
                List<SignedEnvelope> audit = audit(c);
                assertThat(adoptionCounts(c, control)).as("the direction not closed adopts its candidate").hasSize(1);
                SoftAssertions soft = new SoftAssertions();
                int adopted = 0;
                for (int i = 0; i < RACES; i++) {
                    String direction = names.get(i);
                    long closureRank = audit.indexOf(closures.get(direction)) + 1;
                    soft.assertThat(closureRank).as(direction + "'s closure is in the audit").isPositive();
                    List<Long> counts = adoptionCounts(c, direction);
                    for (long count : counts) {
                        // an adoption records how many audit records there were when it was decided
                        soft.assertThat(count).as(direction + ": an adoption decided with the closure at "
                                + closureRank + " in the audit already").isLessThan(closureRank);
                    }
                    adopted += counts.size();
                    soft.assertThat(frontier(c, direction)).as(direction + "'s frontier is what its adoptions say")
                            .isEqualTo(counts.isEmpty() ? setUpBase : units.get(direction).get(0).getCommit());
                }
                // which side won each race is the scheduler's: either is right, so only reported
                System.out.println("[closure race] " + adopted + " of " + RACES + " adopted before their closures");
                soft.assertAll();
            }
        }
    }

    /**
     * The order forced with a second connection: it holds the writers' lock (as a closure's
     * transaction does from its first statement) while the last replica's result arrives; the
     * settlement is seen waiting for the lock; the closure commits; the settlement then finds the
     * direction closed and adopts nothing. The same hold released without a closure lets the
     * other direction's settlement adopt, so the wait, not a failed settlement, is what stopped it.
     */
    @Test
    void aSettlementWaitingOnAClosuresLockReadsTheClosureOnceItHasCommitted() throws Exception {
        try (TwoCoordinators net = TwoCoordinators.start(dir)) {
            Map<String, List<WorkUnit>> units = setUp(net, List.of("closed", "open"));
            for (String direction : List.of("closed", "open")) {
                report(net.apiA, units.get(direction).get(0));
                try (Connection closer = net.pg.connect(); Connection watcher = net.pg.connect()) {
                    closer.setAutoCommit(false);
                    try (Statement s = closer.createStatement()) {
                        s.execute("SELECT pg_advisory_xact_lock(" + PostgresStore.LOCK_SPACE + ", "
                                + PostgresStore.writersLock(net.pg.schema) + ")");
                    }
                    CompletableFuture<ApiClient.Response> settled = CompletableFuture.supplyAsync(
                            () -> report(net.apiB, units.get(direction).get(1)));
                    // bounded by the store's write timeout (10 s a wait): the settlement queues for the lock well within it
                    await().atMost(Duration.ofSeconds(PostgresStore.DEFAULT_TIMEOUT_SECONDS - 2))
                            .until(() -> waitingForWritersLock(watcher, net.pg.schema));
                    if (direction.equals("closed")) {
                        try (PreparedStatement p = closer.prepareStatement(
                                "INSERT INTO direction_closures (direction, reason, closed_ms) VALUES (?, 'held', ?)")) {
                            p.setString(1, direction);
                            p.setLong(2, System.currentTimeMillis());
                            p.executeUpdate();
                        }
                    }
                    closer.commit();
                    assertThat(settled.get(120, TimeUnit.SECONDS).status()).isEqualTo(200);
                }
            }
            try (Connection c = net.pg.connect()) {
                assertThat(adoptionCounts(c, "closed")).as("closed while its settlement waited").isEmpty();
                assertThat(frontier(c, "closed")).isEqualTo(setUpBase);
                assertThat(adoptionCounts(c, "open")).as("the same wait with no closure").hasSize(1);
            }
        }
    }

    private String setUpBase;

    /** The seed (quorum 2) and directions of one experiment each, the base measured; each candidate's two units leased. */
    private Map<String, List<WorkUnit>> setUp(TwoCoordinators net, List<String> directions) {
        setUpBase = Fixtures.commit();
        SeededOverApi seeded = SeededOverApi.post(List.of(net.apiA, net.apiB), net.operator, "tiny-lm", setUpBase,
                Fixtures.manifest(2, 0.5), directions, 1);
        Map<String, String> directionOf = new HashMap<>();
        seeded.experiments().forEach((d, commits) -> directionOf.put(commits.get(0), d));
        Map<String, List<WorkUnit>> units = new HashMap<>();
        for (int pass = 0; pass < 3 && units.values().stream().mapToInt(List::size).sum() < 2 * directions.size(); pass++) {
            for (int claims = 0; claims < 4 * directions.size() + 8; claims++) {
                Identity runner = Identity.generate();
                WorkUnit unit = (claims % 2 == 0 ? net.apiA : net.apiB).claim(runner, WorkUnit.Kind.EVALUATE);
                if (unit == null) {
                    break;
                }
                runners.put(unit.getId(), runner);
                if (unit.getCommit().equals(setUpBase)) {
                    assertThat(report(net.apiA, unit).status()).isEqualTo(200);
                } else {
                    units.computeIfAbsent(directionOf.get(unit.getCommit()), d -> new ArrayList<>()).add(unit);
                }
            }
        }
        for (String d : directions) {
            assertThat(units.get(d)).as(d + "'s candidate's replicas leased").hasSize(2);
        }
        return units;
    }

    private ApiClient.Response report(ApiClient api, WorkUnit unit) {
        Identity runner = runners.get(unit.getId());
        double metric = unit.getCommit().equals(setUpBase) ? BASE : BETTER;
        return api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, metric, api.now()));
    }

    private static void meet(CyclicBarrier barrier) {
        try {
            barrier.await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean waitingForWritersLock(Connection c, String schema) throws Exception {
        try (PreparedStatement p = c.prepareStatement("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                + "AND NOT granted AND classid = ?::bigint::oid AND objid = ?::bigint::oid")) {
            p.setLong(1, PostgresStore.LOCK_SPACE);
            p.setLong(2, PostgresStore.writersLock(schema) & 0xffffffffL);
            try (ResultSet rs = p.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }

    private static List<SignedEnvelope> audit(Connection c) throws Exception {
        List<SignedEnvelope> all = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT bytes FROM envelopes ORDER BY seq")) {
            while (rs.next()) {
                all.add(SignedEnvelope.parseFrom(rs.getBytes(1)));
            }
        }
        return all;
    }

    private static List<Long> adoptionCounts(Connection c, String direction) throws Exception {
        List<Long> counts = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT audit_count FROM adoptions WHERE direction = ?")) {
            p.setString(1, direction);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    counts.add(rs.getLong(1));
                }
            }
        }
        return counts;
    }

    private static String frontier(Connection c, String direction) throws Exception {
        try (PreparedStatement p = c.prepareStatement("SELECT frontier_commit FROM directions WHERE name = ?")) {
            p.setString(1, direction);
            try (ResultSet rs = p.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
