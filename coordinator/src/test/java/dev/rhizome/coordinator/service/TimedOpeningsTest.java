package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Work that opens with time, or by a result that only ends a lease, answers a held claim
 * ({@link ClaimWaits}) well before its 20 s wait ends, on real stores: a reservation for other
 * keys ending, the claimant's network's hold on a replica ending, a lease running out, and a lease
 * cap freed by a result, on this coordinator and through another on the same PostgreSQL. The
 * clock is the system's: each moment is set a few seconds ahead, and the claim must be answered
 * with the unit within a bound far under its wait (before, it waited out its 20 s).
 */
class TimedOpeningsTest {
    private static final int WAIT_S = ClaimWaits.MAX_WAIT_S;
    /** How far ahead each test sets the moment its unit opens. */
    private static final long OPENS_IN_MS = 2_000;
    /** Answered within this: the opening, and far from the end of the wait. */
    private static final Duration ANSWERED_WITHIN = Duration.ofSeconds(WAIT_S / 2);

    @TempDir
    Path dir;

    private final Clock clock = Clock.systemUTC();
    private final ClaimableWork work = new ClaimableWork(clock);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aReservationForOtherKeysEndingAnswersTheHeldClaim(String kind) throws Exception {
        onStore(kind, store -> {
            work.open(store);
            String unit = work.addUnit(store, Fixtures.commit());
            long until = clock.millis() + OPENS_IN_MS;
            store.inTransaction(tx -> {
                tx.reserveUnit(unit, List.of(Identity.generate().publicId().toByteString()), until);
                return null;
            });
            try (ClaimWaits waits = waits(store, LeaseCaps.Limits.none())) {
                CompletableFuture<ClaimResponse> answer = waits.claim(signed(Identity.generate()), "");
                assertThat(answer).as("the unit is reserved for another key").isNotDone();
                assertAnsweredWith(answer, unit);
                assertThat(clock.millis()).as("not before the reservation ended").isGreaterThan(until);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void theEndOfItsNetworksHoldOnAReplicaAnswersTheHeldClaim(String kind) throws Exception {
        onStore(kind, store -> {
            work.open(store);
            String commit = Fixtures.commit();
            String first = work.addUnit(store, commit);
            String replica = work.addUnit(store, commit);
            long now = clock.millis();
            // The first replica was leased from the claimant's network just under the hold ago,
            // and someone outside that network was seen (else nobody else could take it and the
            // hold does not apply).
            long leasedMs = now - ReplicaNetworks.HOLD.toMillis() + OPENS_IN_MS;
            ByteString other = Identity.generate().publicId().toByteString();
            store.inTransaction(tx -> {
                UnitRecord u = tx.unit(first).orElseThrow();
                tx.leaseUnit(u.leasedTo(other, now + 3_600_000), "81.2.69.7");
                tx.recordLease(first, other, leasedMs, ByteString.EMPTY, Long.MIN_VALUE, "81.2.69.0/24", "81.2.69.7", "");
                tx.announce(NodeAnnouncement.newBuilder().setNode(Identity.generate().publicId().toByteString())
                        .setHost("198.51.100.9").setPort(7000).setHardwareClass("cpu").setTimeMs(now).build(),
                        "198.51.100.0/24", now);
                return null;
            });
            try (ClaimWaits waits = waits(store, LeaseCaps.Limits.none())) {
                CompletableFuture<ClaimResponse> answer = waits.claim(signed(Identity.generate()), "81.2.69.5");
                assertThat(answer).as("its network leased this trial lately").isNotDone();
                assertAnsweredWith(answer, replica);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aLeaseRunningOutAnswersTheHeldClaimWithItsUnit(String kind) throws Exception {
        onStore(kind, store -> {
            work.open(store);
            String unit = work.addUnit(store, Fixtures.commit());
            long deadline = clock.millis() + OPENS_IN_MS;
            store.inTransaction(tx -> {
                tx.leaseUnit(tx.unit(unit).orElseThrow().leasedTo(Identity.generate().publicId().toByteString(), deadline), "");
                return null;
            });
            // No lease sweeper runs here: only the held claim's own timer can find the lease gone.
            try (ClaimWaits waits = waits(store, LeaseCaps.Limits.none())) {
                CompletableFuture<ClaimResponse> answer = waits.claim(signed(Identity.generate()), "");
                assertThat(answer).as("the unit is leased").isNotDone();
                assertAnsweredWith(answer, unit);
                assertThat(clock.millis()).isGreaterThan(deadline);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aResultThatOnlyEndsALeaseAnswersAClaimHeldAtTheCap(String kind) throws Exception {
        onStore(kind, store -> {
            work.open(store);
            capFreedByAResult(store, store);
        });
    }

    /** The claim is held at the cap on one coordinator; the lease ends by a result settled through another. */
    @Test
    void aResultSettledThroughAnotherCoordinatorAnswersAClaimHeldAtTheCapHere() throws Exception {
        try (TestPostgres pg = TestPostgres.create();
                PostgresStore first = PostgresStore.open(pg.address(2));
                PostgresStore second = PostgresStore.open(pg.address(2))) {
            work.open(first);
            capFreedByAResult(second, first);
        }
    }

    /**
     * One lease per address: a key of the address holds it, another key's claim from the same
     * address is refused at the cap and held; a result through {@code settling} ends the lease
     * (its unit DONE, nothing opened), and the held claim gets the open unit.
     */
    private void capFreedByAResult(Store holding, Store settling) {
        String address = "81.2.69.5";
        String firstUnit = work.addUnit(settling, Fixtures.commit());
        Identity runner = Identity.generate();
        try (ClaimWaits waits = waits(holding, new LeaseCaps.Limits(1, 0))) {
            ClaimResponse leased = waits.claim(signed(runner), address).join();
            assertThat(leased.getUnit().getId()).isEqualTo(firstUnit);
            String second = work.addUnit(settling, Fixtures.commit());
            CompletableFuture<ClaimResponse> answer = waits.claim(signed(Identity.generate()), address);
            assertThat(answer).as("the address holds its one lease").isNotDone();
            // The held claim may be run again by the unit just added (a wake-up); it is still refused.
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !answer.isDone());
            settling.inSettlingTransaction(tx -> {
                tx.updateUnit(tx.unit(firstUnit).orElseThrow().doneBy(runner.publicId().toByteString()));
                return null;
            });
            assertAnsweredWith(answer, second);
        }
    }

    private static void assertAnsweredWith(CompletableFuture<ClaimResponse> answer, String unit) {
        await().atMost(ANSWERED_WITHIN).until(answer::isDone);
        ClaimResponse got = answer.join();
        assertThat(got.hasUnit()).as("answered with work: %s", got.getReason()).isTrue();
        assertThat(got.getUnit().getId()).isEqualTo(unit);
        assertThat(got.getWaited()).isFalse();
    }

    private void onStore(String kind, Consumer<Store> test) throws Exception {
        BoardHistory.onStore(kind, dir, test);
    }

    private ClaimWaits waits(Store store, LeaseCaps.Limits caps) {
        Dispatcher dispatcher = new Dispatcher(store, clock, new Leases(Duration.ofMinutes(10)),
                new ClaimPolicy(Duration.ZERO), new Dispatcher.ClaimLimits(4, 8), WriteQuotas.defaults(), caps,
                reason -> { });
        return new ClaimWaits(dispatcher, store, clock, new ClaimWaits.Limits(64, 256, 1024));
    }

    private Verified<ClaimRequest> signed(Identity node) {
        return Fixtures.signedClaim(node, clock.millis(), "", WorkUnit.Kind.EVALUATE, WAIT_S);
    }
}
