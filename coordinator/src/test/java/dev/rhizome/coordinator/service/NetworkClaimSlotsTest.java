package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Claims of one network run up to {@link Dispatcher#NETWORK_SLOTS} at once on PostgreSQL, and
 * the lease caps stay exact: many keys of four addresses in one /24 (loopback's, where claims of
 * distinct keys used to run one at a time) race their claims through two coordinators sharing
 * one database, and no address or network ever holds more leases than its cap, while the network
 * does reach its cap (the claims near it ran one at a time, not refused early).
 */
class NetworkClaimSlotsTest {
    private static final int PER_ADDRESS = 12;
    private static final int PER_NETWORK = 20;
    private static final List<String> ADDRESSES = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4");

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final Identity operator = Identity.generate();
    private final Seed seed = Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01),
            clock.millis());

    @Test
    void racingClaimsOfOneNetworkOnTwoCoordinatorsPassNoCap() throws Exception {
        assertThat(PER_ADDRESS).as("the caps are above the slots, so claims run in slots at first")
                .isGreaterThan(Dispatcher.NETWORK_SLOTS);
        try (TestPostgres pg = TestPostgres.create();
                PostgresStore first = PostgresStore.open(pg.address(8));
                PostgresStore second = PostgresStore.open(pg.address(8))) {
            begin(first);
            List<Dispatcher> dispatchers = List.of(dispatcher(first), dispatcher(second));
            int claims = 96;
            ExecutorService threads = Executors.newFixedThreadPool(16);
            ConcurrentLinkedQueue<String> leased = new ConcurrentLinkedQueue<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            try {
                for (int i = 0; i < claims; i++) {
                    Dispatcher dispatcher = dispatchers.get(i % 2);
                    String address = ADDRESSES.get(i % ADDRESSES.size());
                    done.add(threads.submit(() -> {
                        start.await();
                        ClaimResponse answer = dispatcher.claim(Fixtures.signedClaim(Identity.generate(), clock.millis(), "", WorkUnit.Kind.EVALUATE), address);
                        if (answer.hasUnit()) {
                            leased.add(answer.getUnit().getId());
                        } else {
                            assertThat(answer.getReason()).contains("leases, at most");
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                threads.shutdownNow();
            }
            assertThat(leased).as("every unit is leased once").doesNotHaveDuplicates();
            Map<String, Integer> byAddress = new HashMap<>();
            int byNetwork = 0;
            try (Connection c = pg.connect(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT lease_address, lease_network, COUNT(*) FROM " + pg.schema
                            + ".units WHERE state = " + dev.rhizome.proto.v1.UnitStatus.State.LEASED_VALUE
                            + " GROUP BY lease_address, lease_network")) {
                while (rs.next()) {
                    assertThat(rs.getString(2)).isEqualTo("127.0.0.0/24");
                    byAddress.put(rs.getString(1), rs.getInt(3));
                    byNetwork += rs.getInt(3);
                }
            }
            assertThat(byAddress.values()).as("leases per address, at most %d", PER_ADDRESS)
                    .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(PER_ADDRESS));
            assertThat(byNetwork).as("the network holds exactly its cap: not passed, and not refused early")
                    .isEqualTo(PER_NETWORK);
            assertThat(leased).hasSize(PER_NETWORK);
        }
    }

    private Dispatcher dispatcher(PostgresStore store) {
        return new Dispatcher(store, clock, new Leases(Duration.ofMinutes(10)), new ClaimPolicy(Duration.ZERO),
                new Dispatcher.ClaimLimits(4, 8), WriteQuotas.defaults(),
                new LeaseCaps.Limits(PER_ADDRESS, PER_NETWORK), reason -> { });
    }

    private void begin(PostgresStore store) {
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), clock.millis());
        store.inTransaction(tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), clock.millis());
            tx.insertDirection(direction, Envelopes.sign(operator, direction), clock.millis());
            for (int i = 0; i < 64; i++) {
                tx.insertUnit(UnitRecord.open("u-" + i, WorkUnit.Kind.EVALUATE, "tiny-lm", "d", Fixtures.commit(), "",
                        operator.publicId().toByteString(), 100 + i));
            }
            return null;
        });
    }

}
