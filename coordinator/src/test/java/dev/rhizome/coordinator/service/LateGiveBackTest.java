package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A give-back that comes after its lease's deadline, before the sweep has ended the lease, was
 * taken as a give-back: the unit open again uncounted, the holder uncharged, a starved one counted
 * as a network's. A moment later the sweep would have charged the expiry; what the holder's lease
 * comes to must not hang on which runs first. The dispatcher is driven directly, with no sweeper
 * behind it, so the give-back always comes first.
 */
class LateGiveBackTest {
    private static final Duration LEASE = Duration.ofMinutes(10);

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final ClaimableWork work = new ClaimableWork(clock);

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aGiveBackAfterItsDeadlineIsTheExpiredLeaseItIs(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> {
            Dispatcher dispatcher = dispatcher(store);
            work.open(store);
            String unit = work.addUnit(store);
            Identity node = Identity.generate();
            WorkUnit leased = claim(dispatcher, node);
            assertThat(leased.getId()).isEqualTo(unit);

            clock.advance(Duration.ofMillis(leased.getLeaseDeadlineMs() - clock.millis() + 1));
            String answer = dispatcher.giveBack(giveBack(node, unit, true)).getMessage();
            assertThat(answer).as("told what it came to, and why").contains("charged as an expired lease")
                    .contains("ran out at");

            store.inTransaction(tx -> {
                UnitRecord after = tx.unit(unit).orElseThrow();
                assertThat(after.state()).isEqualTo(UnitStatus.State.OPEN);
                assertThat(after.expiredLeases()).as("a failed attempt of the commit, as the sweep's").isEqualTo(1);
                assertThat(tx.reputation(node.publicId().toByteString()).orElse(Reputation.fresh()))
                        .as("the holder's standing, as the sweep's").isEqualTo(Reputation.fresh().onLeaseExpired());
                assertThat(tx.starvedGiveBacks(List.of(unit))).as("no network counted starved").isEmpty();
                return null;
            });
            assertThat(dispatcher.giveBack(giveBack(node, unit, true)).getMessage())
                    .as("sent again: nothing more").contains("nothing given back");
            dispatcher.sweep();
            int expiredAfterSweep = store.inTransaction(tx -> tx.unit(unit).orElseThrow().expiredLeases());
            assertThat(expiredAfterSweep).as("the sweep after it charges nothing twice").isEqualTo(1);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aGiveBackAtItsDeadlineIsStillAGiveBack(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> {
            Dispatcher dispatcher = dispatcher(store);
            work.open(store);
            String unit = work.addUnit(store);
            Identity node = Identity.generate();
            WorkUnit leased = claim(dispatcher, node);

            // a lease is good up to and including its deadline (Leases.isExpired)
            clock.advance(Duration.ofMillis(leased.getLeaseDeadlineMs() - clock.millis()));
            assertThat(dispatcher.giveBack(giveBack(node, unit, false)).getMessage())
                    .isEqualTo("given back; open to the next claim");
            store.inTransaction(tx -> {
                UnitRecord after = tx.unit(unit).orElseThrow();
                assertThat(after.state()).isEqualTo(UnitStatus.State.OPEN);
                assertThat(after.expiredLeases()).isZero();
                assertThat(tx.reputation(node.publicId().toByteString()).orElse(Reputation.fresh()))
                        .isEqualTo(Reputation.fresh());
                return null;
            });
        });
    }

    private Dispatcher dispatcher(Store store) {
        return new Dispatcher(store, clock, new Leases(LEASE), new ClaimPolicy(Duration.ZERO),
                new Dispatcher.ClaimLimits(4, 8));
    }

    private WorkUnit claim(Dispatcher dispatcher, Identity node) {
        return dispatcher.claim(Fixtures.signedClaim(node, clock.millis(), "", WorkUnit.Kind.EVALUATE), "81.2.69.5")
                .getUnit();
    }

    private dev.rhizome.protocol.envelope.Verified<LeaseGiveBack> giveBack(Identity node, String unit, boolean starved) {
        return Fixtures.signed(node, LeaseGiveBack.newBuilder().setWorkUnitId(unit).setNode(node.publicId().toByteString())
                .setReason("its job was kept off a CPU").setStarved(starved).setTimeMs(clock.millis()).build(),
                LeaseGiveBack.getDefaultInstance());
    }
}
