package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.coordinator.support.TwoCoordinators;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claims on a shared PostgreSQL run beside the other writers (PostgresStore's class comment):
 * they do not wait for a result, and under concurrent claims from two coordinators a key's
 * counts stay exact, a nonce takes one unit, and no unit is leased twice.
 */
class ConcurrentUnitPathPostgresTest {
    @TempDir
    Path dir;

    private final Identity operator = Identity.generate();

    /**
     * While a writer holds the writers' lock (as a result settling into a frontier does), a claim
     * is answered and a result waits: claims no longer queue behind results.
     */
    @Test
    void aClaimIsAnsweredWhileAWriterRunsAndAResultWaitsForIt() throws Exception {
        try (TestPostgres pg = TestPostgres.create();
                Coordinator coordinator = Coordinator.start(config(dir.resolve("a"), pg, CoordinatorLimits.defaults()))) {
            ApiClient api = new ApiClient(coordinator.url(), ApiClient.Format.PROTOBUF, Clock.systemUTC());
            setUp(operator, api, api, 2, Fixtures.manifest(1, 0.01));
            Identity runner = Identity.generate();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try (Connection writer = pg.connect()) {
                writer.setAutoCommit(false);
                try (PreparedStatement lock = writer.prepareStatement("SELECT pg_advisory_xact_lock(?, ?)")) {
                    lock.setInt(1, PostgresStore.LOCK_SPACE);
                    lock.setInt(2, PostgresStore.writersLock(pg.schema));
                    lock.execute();
                }
                Future<WorkUnit> claim = pool.submit(() -> api.claim(runner, WorkUnit.Kind.EVALUATE));
                await().atMost(Duration.ofSeconds(30)).until(claim::isDone);
                WorkUnit unit = claim.get();
                assertThat(unit).as("a claim answered while the writers' lock is held").isNotNull();

                SignedEnvelope result = api.sign(runner, Fixtures.result(runner, unit, 2.0, api.now()));
                Future<ApiClient.Response> report = pool.submit(() -> api.post("/v1/results", result));
                await().atMost(Duration.ofSeconds(30)).until(() -> waitingForWritersLock(writer, pg.schema) > 0);
                assertThat(report).as("a result waits for the writer before it").isNotDone();
                writer.commit();
                await().atMost(Duration.ofSeconds(30)).until(report::isDone);
                assertThat(report.get().status()).isEqualTo(200);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * One key sends many claims at once to two coordinators on one database: it ends with exactly
     * as many leases as it may hold, each on a different unit, and the other claims are refused
     * with 429, none with a server error; one claim sent to both at once (the same nonce) takes
     * one unit.
     */
    @Test
    void oneKeyClaimingThroughTwoCoordinatorsAtOnceGetsExactlyItsLimitAndANonceTakesOneUnit() throws Exception {
        int limit = 3;
        CoordinatorLimits limits = CoordinatorLimits.defaults().withLeases(limit, 10);
        try (TwoCoordinators two = TwoCoordinators.start(dir, config -> config.withLimits(limits))) {
            TestPostgres pg = two.pg;
            ApiClient apiA = two.apiA;
            ApiClient apiB = two.apiB;
            setUp(two.operator, apiA, apiB, 20, Fixtures.manifest(1, 0.01));
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                Identity greedy = Identity.generate();
                List<Future<ApiClient.Response>> claims = new ArrayList<>();
                CountDownLatch start = new CountDownLatch(1);
                for (int i = 0; i < 16; i++) {
                    ApiClient api = i % 2 == 0 ? apiA : apiB;
                    SignedEnvelope claim = api.sign(greedy, claim(greedy, Fixtures.nonce(), api.now()));
                    claims.add(pool.submit(() -> {
                        start.await();
                        return api.post("/v1/claim", claim);
                    }));
                }
                start.countDown();
                List<String> leased = new ArrayList<>();
                Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
                for (Future<ApiClient.Response> f : claims) {
                    ApiClient.Response r = f.get(60, TimeUnit.SECONDS);
                    statuses.merge(r.status(), 1, Integer::sum);
                    if (r.status() == 200) {
                        leased.add(r.parse(ClaimResponse.newBuilder()).getUnit().getId());
                    }
                }
                assertThat(statuses).as("statuses of 16 claims").isEqualTo(Map.of(200, limit, 429, 16 - limit));
                assertThat(leased).doesNotHaveDuplicates();
                assertThat(count(pg, "SELECT COUNT(*) FROM units WHERE holder = ? AND state = 2", greedy))
                        .isEqualTo(limit);

                Identity resender = Identity.generate();
                ByteString nonce = Fixtures.nonce();
                SignedEnvelope same = apiA.sign(resender, claim(resender, nonce, apiA.now()));
                List<Future<ApiClient.Response>> resent = new ArrayList<>();
                CountDownLatch again = new CountDownLatch(1);
                for (int i = 0; i < 8; i++) {
                    ApiClient api = i % 2 == 0 ? apiA : apiB;
                    resent.add(pool.submit(() -> {
                        again.await();
                        return api.post("/v1/claim", same);
                    }));
                }
                again.countDown();
                Set<String> answered = ConcurrentHashMap.newKeySet();
                for (Future<ApiClient.Response> f : resent) {
                    ApiClient.Response r = f.get(60, TimeUnit.SECONDS);
                    assertThat(r.status()).as(r.text()).isIn(200, 409);
                    if (r.status() == 200) {
                        answered.add(r.parse(ClaimResponse.newBuilder()).getUnit().getId());
                    }
                }
                assertThat(answered).as("every answer to one claim is the same unit").hasSize(1);
                assertThat(count(pg, "SELECT COUNT(*) FROM unit_leases WHERE holder = ?", resender)).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Many runners claim and report through two coordinators at once, on replicated trials whose
     * results settle into the frontier: every unit leased once, every acknowledged result stored,
     * no request failed, and the adoptions form one chain from the base to the frontier.
     */
    @Test
    void manyRunnersThroughTwoCoordinatorsLeaseEachUnitOnceAndAdoptAlongOneChain() throws Exception {
        int experiments = 24;
        try (TwoCoordinators two = TwoCoordinators.start(dir)) {
            TestPostgres pg = two.pg;
            ApiClient apiA = two.apiA;
            ApiClient apiB = two.apiB;
            String base = setUp(two.operator, apiA, apiB, experiments, Fixtures.manifest(2, 0.5));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<String> claimed = Collections.synchronizedList(new ArrayList<>());
            List<SignedEnvelope> acknowledged = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger failures = new AtomicInteger();
            List<Future<?>> work = new ArrayList<>();
            for (int r = 0; r < 8; r++) {
                ApiClient api = r % 2 == 0 ? apiA : apiB;
                work.add(pool.submit(() -> {
                    Identity runner = Identity.generate();
                    for (WorkUnit unit = api.claim(runner, WorkUnit.Kind.EVALUATE); unit != null;
                            unit = api.claim(runner, WorkUnit.Kind.EVALUATE)) {
                        claimed.add(unit.getId());
                        // each commit measures its own value, agreed by its replicas: some beat the frontier
                        double metric = 1.0 + (Math.floorMod(unit.getCommit().hashCode(), 1000) / 1000.0);
                        SignedEnvelope envelope = api.sign(runner, Fixtures.result(runner, unit, metric, api.now()));
                        ApiClient.Response ack = api.post("/v1/results", envelope);
                        if (ack.status() != 200) {
                            failures.incrementAndGet();
                        } else {
                            acknowledged.add(envelope);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(180, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertThat(failures).hasValue(0);
            assertThat(claimed).as("every unit leased once").doesNotHaveDuplicates();
            assertThat(count(pg, "SELECT COUNT(*) FROM units WHERE attempts > 1", null)).isZero();
            assertThat(count(pg, "SELECT COUNT(*) FROM units WHERE state <> 3", null)).as("units not DONE").isZero();
            try (PostgresStore store = PostgresStore.open(pg.address(2))) {
                Set<String> stored = Set.copyOf(store.inReadTransaction(tx -> tx.resultEnvelopes("", "")).stream()
                        .map(Envelopes::id).toList());
                assertThat(stored).containsAll(acknowledged.stream().map(Envelopes::id).toList());
                List<Adoption> adoptions = store.inReadTransaction(tx -> tx.adoptions("d"));
                String frontier = base;
                for (Adoption adoption : adoptions) {
                    assertThat(adoption.getPrevious()).as("each adoption follows the one before").isEqualTo(frontier);
                    frontier = adoption.getCommit();
                }
                String expected = frontier;
                String now = store.inReadTransaction(tx -> tx.direction("d").orElseThrow().frontier().commit());
                assertThat(now).isEqualTo(expected);
            }
        }
    }

    /** Publishes a seed and a direction and registers experiments; returns the base commit. */
    private String setUp(Identity operator, ApiClient apiA, ApiClient apiB, int experiments, Manifest manifest) {
        String base = Fixtures.commit();
        long now = System.currentTimeMillis();
        apiA.signAndPost("/v1/seeds", operator, Fixtures.seed(operator, "tiny-lm", base, manifest, now)).ack();
        apiB.signAndPost("/v1/directions", operator, Fixtures.direction(operator, "d", "tiny-lm", base, now)).ack();
        Identity proposer = Identity.generate();
        for (int i = 0; i < experiments; i++) {
            (i % 2 == 0 ? apiA : apiB).signAndPost("/v1/experiments", proposer,
                    Fixtures.experiment(proposer, "tiny-lm", "d", Fixtures.commit(), base, now)).ack();
        }
        return base;
    }

    private static ClaimRequest claim(Identity node, ByteString nonce, long nowMs) {
        return ClaimRequest.newBuilder().setNode(node.publicId().toByteString()).setHardwareClass("cpu:x86_64")
                .setTimeMs(nowMs).setNonce(nonce).addKinds(WorkUnit.Kind.EVALUATE).build();
    }

    /** Sessions waiting for the writers' lock of this test's schema. */
    private static int waitingForWritersLock(Connection c, String schema) throws Exception {
        // pg_locks shows the two keys of an advisory lock as unsigned oids
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' "
                + "AND NOT granted AND classid = ?::bigint AND objid = ?::bigint AND objsubid = 2")) {
            ps.setLong(1, PostgresStore.LOCK_SPACE & 0xFFFFFFFFL);
            ps.setLong(2, PostgresStore.writersLock(schema) & 0xFFFFFFFFL);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static long count(TestPostgres pg, String sql, Identity key) throws Exception {
        try (Connection c = pg.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (key != null) {
                ps.setBytes(1, key.publicId().toByteString().toByteArray());
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private CoordinatorConfig config(Path dataDir, TestPostgres pg, CoordinatorLimits limits) {
        return CoordinatorConfig.defaults(dataDir).withStore(pg.address(4)).withLimits(limits)
                .withOperators(Set.of(operator.publicId()));
    }
}
