package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A coordinator on PostgreSQL SIGKILLed with several clients' results and claims in flight at once,
 * each held by a crash point on its own connection either just before its commit or just after it
 * (its answer not sent). The restart must find each either whole or absent (no result without its
 * unit's end, no lease without its unit's holder, the counters equal to the rows), the results
 * acknowledged before the kill there exactly once, and every client's retry answered: a result
 * committed before the kill "already recorded" and stored once, one cut before its commit stored
 * now, a claim sent again with its nonce given the unit it leased, or one now.
 */
class PostgresCommitKillTest {
    private static final int RESULTS_IN_FLIGHT = 3;
    private static final int CLAIMS_IN_FLIGHT = 3;

    @TempDir
    Path dir;

    private final SecureRandom random = new SecureRandom();

    @ParameterizedTest
    @ValueSource(strings = {CrashPoints.PG_COMMITTING, CrashPoints.PG_COMMITTED})
    void aCoordinatorKilledWithCommitsInFlightKeepsEachWholeOrAbsentAndAnswersTheRetries(String point)
            throws Exception {
        try (TestPostgres pg = TestPostgres.create()) {
            String store = pg.address(16);
            CoordinatorProcesses coordinators = new CoordinatorProcesses(dir);
            List<Runner> leased = new ArrayList<>();
            List<Runner> acknowledged = new ArrayList<>();
            Process plain = coordinators.start("c", store, List.of());
            try {
                String url = coordinators.url("c", plain);
                CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
                Seed seed = seed(operator);
                for (int i = 0; i < RESULTS_IN_FLIGHT + CLAIMS_IN_FLIGHT + 2; i++) {
                    register(operator, seed);
                }
                for (int i = 0; i < RESULTS_IN_FLIGHT + 2; i++) {
                    Runner r = new Runner(Identity.generate(), freshNonce());
                    r.unit = r.client(url).claim(r.request()).getUnit();
                    assertThat(r.unit.getId()).as("a unit claimed before the kill").isNotEmpty();
                    r.result = r.client(url).signed(HandRunResults.ok(r.unit, r.identity, "cpu:commit", TinyLmSeed.manifest().getMetric().getName(), 2.0));
                    leased.add(r);
                }
                // two results acknowledged before the kill
                for (Runner r : leased.subList(0, 2)) {
                    r.client(url).reportResult(r.result);
                    acknowledged.add(r);
                }
            } finally {
                CoordinatorProcesses.stop(plain);
            }
            List<Runner> reporting = leased.subList(2, leased.size());
            List<Runner> claiming = new ArrayList<>();
            for (int i = 0; i < CLAIMS_IN_FLIGHT; i++) {
                claiming.add(new Runner(Identity.generate(), freshNonce()));
            }

            Process held = coordinators.start("c", store, List.of(RealProcess.crashPoint(point)));
            try {
                String url = coordinators.url("c", held);
                List<CompletableFuture<Void>> inFlight = new ArrayList<>();
                for (Runner r : reporting) {
                    inFlight.add(CompletableFuture.runAsync(() -> cut(() -> r.client(url).reportResult(r.result))));
                }
                for (Runner r : claiming) {
                    inFlight.add(CompletableFuture.runAsync(() -> cut(() -> r.client(url).claim(r.request()))));
                }
                // Each in flight on its own connection: held at the point, or (before the commit) waiting
                // inside its transaction for a lock one held there took (the direction's counts, a claim's).
                try (Connection db = pg.connect()) {
                    // at least one held there: the locks the others wait on are then the held commit's,
                    // not a moment's between two statements of a transaction still on its way
                    await().atMost(Duration.ofMinutes(3)).until(() -> !held.isAlive()
                            || heldAt(coordinators, point) > 0
                            && heldAt(coordinators, point) + waitingOnLocks(db) >= RESULTS_IN_FLIGHT + CLAIMS_IN_FLIGHT);
                    System.out.printf("%s: %d held there, %d waiting on their locks%n", point, heldAt(coordinators, point),
                            waitingOnLocks(db));
                }
                assertThat(heldAt(coordinators, point)).as("transactions held at %s together", point).isPositive();
                assertThat(held.isAlive()).as("held at %s; its log: %s", point, coordinators.output("c")).isTrue();
                // An acknowledged result sent again is answered while the others are held (it writes
                // nothing); before their commits it waits for the direction's settlement lock they hold,
                // and is told to send it again later rather than answered wrongly.
                for (Runner r : acknowledged) {
                    try {
                        assertThat(r.client(url).reportResult(r.result).getMessage()).isEqualTo("result already recorded");
                    } catch (CoordinatorException e) {
                        assertThat(point).as("refused while results wait for their commits: %s", e.getMessage())
                                .isEqualTo(CrashPoints.PG_COMMITTING);
                        assertThat(e.status()).as(e.getMessage()).isEqualTo(503);
                    }
                }
                RealProcess.kill(held);
                CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);
            } finally {
                held.destroyForcibly();
            }

            boolean committed = point.equals(CrashPoints.PG_COMMITTED);
            try (Connection db = pg.connect()) {
                for (Runner r : acknowledged) {
                    assertThat(resultsOf(db, r)).as("an acknowledged result after the kill").isEqualTo(1);
                }
                // Held before the commit, nothing in flight is stored. Held after it, what the held
                // commit carried is stored and the rest absent: requests that arrived after the group
                // began wait on its members' locks and never reach a commit before the kill.
                long stored = 0;
                for (Runner r : reporting) {
                    long n = resultsOf(db, r);
                    assertThat(n).as("a result in flight, %s", point).isBetween(0L, committed ? 1L : 0L);
                    stored += n;
                }
                for (Runner r : claiming) {
                    long n = leasesWith(db, r);
                    assertThat(n).as("a claim's lease in flight, %s", point).isBetween(0L, committed ? 1L : 0L);
                    stored += n;
                }
                if (committed) {
                    assertThat(stored).as("the commit held after it was made is stored").isPositive();
                }
                wholeOrAbsent(db);
            }

            Process again = coordinators.start("c", store, List.of());
            try {
                String url = coordinators.url("c", again);
                for (Runner r : acknowledged) {
                    assertThat(r.client(url).reportResult(r.result).getMessage()).isEqualTo("result already recorded");
                }
                for (Runner r : reporting) {
                    Ack ack = r.client(url).reportResult(r.result);
                    if (committed) {
                        assertThat(ack.getMessage()).as("a result committed, its answer cut").isEqualTo("result already recorded");
                    } else {
                        assertThat(ack.getMessage()).as("a result cut before its commit").isNotEqualTo("result already recorded");
                    }
                }
                List<String> units = new ArrayList<>();
                try (Connection db = pg.connect()) {
                    for (Runner r : claiming) {
                        String before = committed ? unitLeasedWith(db, r) : null;
                        WorkUnit unit = r.client(url).claim(r.request()).getUnit();
                        assertThat(unit.getId()).as("the claim sent again with its nonce is answered with a unit").isNotEmpty();
                        if (committed) {
                            assertThat(unit.getId()).as("the unit leased before the kill").isEqualTo(before);
                        }
                        units.add(unit.getId());
                    }
                    assertThat(units).as("one unit a claim").doesNotHaveDuplicates();
                    for (Runner r : leased) {
                        assertThat(resultsOf(db, r)).as("each result once, after the retries").isEqualTo(1);
                    }
                    for (Runner r : claiming) {
                        assertThat(leasesWith(db, r)).as("each claim's lease once, after the retries").isEqualTo(1);
                    }
                    wholeOrAbsent(db);
                }
            } finally {
                CoordinatorProcesses.stop(again);
            }
        }
    }

    /** Nothing half applied: what a result or a claim writes is there together, or none of it. */
    private static void wholeOrAbsent(Connection db) throws Exception {
        assertThat(count(db, "SELECT COUNT(*) FROM results r JOIN units u ON u.id = r.unit_id "
                + "WHERE u.state = 2 AND u.holder = r.runner")).as("results whose unit is still leased to their runner").isZero();
        assertThat(count(db, "SELECT COUNT(*) FROM units u WHERE u.state = 2 AND NOT EXISTS "
                + "(SELECT 1 FROM unit_leases l WHERE l.unit_id = u.id AND l.holder = u.holder)"))
                .as("units leased without their lease's row").isZero();
        for (String counted : List.of("envelopes", "units")) {
            assertThat(count(db, "SELECT (SELECT COALESCE(SUM(value), 0) FROM store_counters WHERE name = '" + counted
                    + "') + (SELECT COALESCE(SUM(value), 0) FROM counter_stripes WHERE name = '" + counted + "')"))
                    .as("the store's count of %s", counted).isEqualTo(count(db, "SELECT COUNT(*) FROM " + counted));
        }
    }

    /** The coordinator's transactions blocked on a lock in this database (the test's own schema alone is in it). */
    private static long waitingOnLocks(Connection db) throws Exception {
        return count(db, "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                + "AND wait_event_type = 'Lock' AND state = 'active'");
    }

    private static int heldAt(CoordinatorProcesses coordinators, String point) throws Exception {
        return coordinators.output("c").split("at crash point " + point, -1).length - 1;
    }

    /** A call the kill cuts: no answer comes, and that is what is expected. */
    private static void cut(Call call) {
        try {
            call.run();
        } catch (CoordinatorException e) {
            // the connection closed by the kill
        }
    }

    @FunctionalInterface
    private interface Call {
        Object run() throws CoordinatorException;
    }

    private static long resultsOf(Connection db, Runner r) throws Exception {
        return count(db, "SELECT COUNT(*) FROM results WHERE unit_id = ? AND runner = ?", r.unit.getId(),
                r.identity.publicId().toByteString().toByteArray());
    }

    private static long leasesWith(Connection db, Runner r) throws Exception {
        return count(db, "SELECT COUNT(*) FROM unit_leases WHERE holder = ? AND claim_nonce = ?",
                r.identity.publicId().toByteString().toByteArray(), r.nonce.toByteArray());
    }

    private static String unitLeasedWith(Connection db, Runner r) throws Exception {
        try (PreparedStatement s = db.prepareStatement("SELECT unit_id FROM unit_leases WHERE holder = ? AND claim_nonce = ?")) {
            s.setBytes(1, r.identity.publicId().toByteString().toByteArray());
            s.setBytes(2, r.nonce.toByteArray());
            try (ResultSet rows = s.executeQuery()) {
                assertThat(rows.next()).as("a lease by the claim's nonce").isTrue();
                return rows.getString(1);
            }
        }
    }

    private static long count(Connection db, String sql, Object... args) throws Exception {
        try (PreparedStatement s = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    /** A client: its key, the nonce of its claim (sent again as is), its unit and signed result. */
    private static final class Runner {
        final Identity identity;
        final ByteString nonce;
        final long signedMs = System.currentTimeMillis();
        WorkUnit unit;
        SignedEnvelope result;

        Runner(Identity identity, ByteString nonce) {
            this.identity = identity;
            this.nonce = nonce;
        }

        CoordinatorClient client(String url) {
            return new CoordinatorClient(url, identity, Duration.ofMinutes(5));
        }

        ClaimRequest request() {
            return ClaimRequest.newBuilder().setNode(identity.publicId().toByteString()).setHardwareClass("cpu:commit")
                    .addKinds(WorkUnit.Kind.EVALUATE).setTimeMs(signedMs).setNonce(nonce).build();
        }
    }

    private ByteString freshNonce() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return ByteString.copyFrom(b);
    }

    /** One replica a trial, so a result ends its unit. */
    private Seed seed(CoordinatorClient operator) throws CoordinatorException {
        Manifest manifest = TinyLmSeed.manifest().toBuilder().setQuorum(1).clearTrustedProposers().build();
        Seed seed = Seed.newBuilder().setName("commits").setCommit(commit()).setManifest(manifest)
                .setPublisher(operator.identity().publicId().toByteString()).setPublishedMs(System.currentTimeMillis())
                .build();
        operator.publishSeed(seed);
        operator.openDirection(Direction.newBuilder().setName("load").setSeed("commits").setBaseCommit(seed.getCommit())
                .setOpenedBy(operator.identity().publicId().toByteString()).setOpenedMs(System.currentTimeMillis())
                .build());
        return seed;
    }

    private void register(CoordinatorClient operator, Seed seed) throws CoordinatorException {
        operator.registerExperiment(Experiment.newBuilder().setSeed(seed.getName()).setDirection("load")
                .setCommit(commit()).setParent(seed.getCommit()).setProposer(operator.identity().publicId().toByteString())
                .setCreatedMs(System.currentTimeMillis()).build());
    }

    private String commit() {
        byte[] b = new byte[20];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
