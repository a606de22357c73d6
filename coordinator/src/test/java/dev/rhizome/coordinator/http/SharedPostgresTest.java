package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.SeededOverApi;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.coordinator.support.TwoCoordinators;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitList;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinators, each with its own connection pool, serve one PostgreSQL database while
 * runners claim from both at once: no unit is leased twice and every acknowledged result is there.
 */
class SharedPostgresTest {
    @TempDir
    Path dir;

    @Test
    void twoCoordinatorsOnOneDatabaseNeverLeaseAUnitTwiceAndLoseNoAcknowledgedResult() throws Exception {
        int experiments = 30;
        int runners = 6;
        try (TwoCoordinators two = TwoCoordinators.start(dir)) {
            ApiClient apiA = two.apiA;
            ApiClient apiB = two.apiB;
            two.seed(experiments);

            ExecutorService pool = Executors.newFixedThreadPool(runners);
            List<Future<List<SignedEnvelope>>> work = new ArrayList<>();
            List<String> claimed = Collections.synchronizedList(new ArrayList<>());
            for (int r = 0; r < runners; r++) {
                ApiClient api = r % 2 == 0 ? apiA : apiB;
                work.add(pool.submit(() -> {
                    Identity runner = Identity.generate();
                    List<SignedEnvelope> acknowledged = new ArrayList<>();
                    for (WorkUnit unit = api.claim(runner, WorkUnit.Kind.EVALUATE); unit != null;
                            unit = api.claim(runner, WorkUnit.Kind.EVALUATE)) {
                        claimed.add(unit.getId());
                        Result result = Fixtures.result(runner, unit, 2.0, System.currentTimeMillis());
                        SignedEnvelope envelope = api.sign(runner, result);
                        Ack ack = api.post("/v1/results", envelope).ack();
                        assertThat(ack.getId()).isNotEmpty();
                        acknowledged.add(envelope);
                    }
                    return acknowledged;
                }));
            }
            List<SignedEnvelope> acknowledged = new ArrayList<>();
            for (Future<List<SignedEnvelope>> f : work) {
                acknowledged.addAll(f.get(120, TimeUnit.SECONDS));
            }
            pool.shutdown();

            assertThat(claimed).as("every unit leased once").hasSize(experiments + 1).doesNotHaveDuplicates();
            for (ApiClient api : List.of(apiA, apiB)) {
                Set<SignedEnvelope> stored = Set.copyOf(api.get("/v1/results", EnvelopeList.newBuilder()).getEnvelopesList());
                assertThat(stored).as("acknowledged results, read through either coordinator")
                        .containsAll(acknowledged).hasSize(experiments + 1);
                UnitList units = api.get("/v1/units", UnitList.newBuilder()).build();
                assertThat(units.getUnitsList().stream().map(UnitStatus::getState).collect(Collectors.toSet()))
                        .containsExactly(UnitStatus.State.DONE);
                assertThat(units.getUnitsList()).allSatisfy(u -> assertThat(u.getUnit().getAttempt()).isEqualTo(1));
            }
        }
    }

    /**
     * Fresh keys from one address claim at once through both coordinators: the address's leases
     * are counted under its network's claim lock, which both take, so no more than the cap are
     * leased, however the claims interleave.
     */
    @Test
    void twoCoordinatorsLeaseNoMoreThanAnAddressesCapBetweenThem() throws Exception {
        int cap = 4;
        int claimants = 24;
        try (TwoCoordinators two = TwoCoordinators.start(dir, config -> capped(config, cap))) {
            ApiClient apiA = two.apiA;
            ApiClient apiB = two.apiB;
            two.seed(claimants);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> claims = new ArrayList<>();
            for (int i = 0; i < claimants; i++) {
                ApiClient api = (i % 2 == 0 ? apiA : apiB).from("81.2.69.5");
                claims.add(pool.submit(() -> {
                    go.await();
                    return api.claimResponse(Identity.generate(), WorkUnit.Kind.EVALUATE).hasUnit();
                }));
            }
            go.countDown();
            int leased = 0;
            for (Future<Boolean> claim : claims) {
                leased += claim.get(120, TimeUnit.SECONDS) ? 1 : 0;
            }
            pool.shutdown();
            assertThat(leased).as("leases from one address across two coordinators").isEqualTo(cap);
            assertThat(apiB.from("84.17.46.7").claim(Identity.generate(), WorkUnit.Kind.EVALUATE))
                    .as("another network still gets work").isNotNull();
        }
    }

    private static CoordinatorConfig capped(CoordinatorConfig config, int perAddress) {
        return config.withTrustedProxies(List.of("127.0.0.1", "::1"))
                .withLimits(config.limits().withLeasesHeld(new LeaseCaps.Limits(perAddress, 0)));
    }

    /**
     * Coordinators of one database are one network: started together on a fresh schema, they
     * serve the same network id (made once, by whichever migrated first), and a record signed
     * for it through one is taken by the other.
     */
    @Test
    void coordinatorsOfOneDatabaseServeOneNetwork() throws Exception {
        Identity operator = Identity.generate();
        ExecutorService starting = Executors.newFixedThreadPool(2);
        try (TestPostgres pg = TestPostgres.create()) {
            Future<Coordinator> startA = starting.submit(() -> Coordinator.start(config(dir.resolve("a"), pg, operator)));
            Future<Coordinator> startB = starting.submit(() -> Coordinator.start(config(dir.resolve("b"), pg, operator)));
            try (Coordinator a = startA.get(); Coordinator b = startB.get()) {
                ApiClient apiA = new ApiClient(a.url(), ApiClient.Format.PROTOBUF, Clock.systemUTC());
                ApiClient apiB = new ApiClient(b.url(), ApiClient.Format.JSON, Clock.systemUTC());
                assertThat(apiA.network()).matches("[0-9a-f]{32}").isEqualTo(apiB.network());

                SignedEnvelope seed = apiA.sign(operator, Fixtures.seed(operator, "tiny-lm", Fixtures.commit(),
                        Fixtures.manifest(1, 0.01), System.currentTimeMillis()));
                assertThat(apiB.post("/v1/seeds", seed).status()).isEqualTo(200);
            }
        } finally {
            starting.shutdownNow();
        }
    }

    private static CoordinatorConfig config(Path dataDir, TestPostgres pg, Identity operator) {
        return CoordinatorConfig.defaults(dataDir).withStore(pg.address(4)).withOperators(Set.of(operator.publicId()));
    }
}
