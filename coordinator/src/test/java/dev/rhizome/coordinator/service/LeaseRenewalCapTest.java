package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How long renewals may keep a unit. A node renews its lease each half lease while it fetches and
 * runs (node's work.LeaseRenewals); a fixed count of renewals cut such a node's job short under a
 * short fixed lease, and let a holder that never finishes keep a derived lease's unit for 100
 * leases. The count a lease may have now follows its job: enough for the honest holder, about
 * twice the job's bound for one that never finishes. The fixture's manifest has a 60 s timeout:
 * a fetch of up to 60 s and a job killed at 120 s, with 30 s of slack, 210 s in all.
 */
class LeaseRenewalCapTest {
    private static final int DEFAULT_CEILING = CoordinatorLimits.defaults().maxRenewalsPerLease();
    private static final long HONEST_HOLD_MS = Duration.ofSeconds(60 + 120 + 30).toMillis();

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final ClaimableWork work = new ClaimableWork(clock);

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void anHonestHolderUnderAShortFixedLeaseRenewsToTheEndOfItsJob(String kind) throws Exception {
        Duration lease = Duration.ofSeconds(2);
        BoardHistory.onStore(kind, dir, store -> {
            Dispatcher dispatcher = dispatcher(store, lease, DEFAULT_CEILING);
            work.open(store);
            work.addUnit(store);
            Identity node = Identity.generate();
            long takenAt = clock.millis();
            WorkUnit leased = claim(dispatcher, node);

            long deadline = leased.getLeaseDeadlineMs();
            while (deadline < takenAt + HONEST_HOLD_MS) {
                clock.advance(lease.dividedBy(2));
                deadline = Long.parseLong(renew(dispatcher, node, leased.getId()).getMessage());
            }
            assertThat(deadline).as("renewed each half lease through the fetch and the whole job, "
                    + "where 100 renewals covered under 2 minutes of a 2 s lease").isGreaterThanOrEqualTo(takenAt + HONEST_HOLD_MS);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aHolderThatNeverFinishesKeepsADerivedLeaseForABoundedTime(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> {
            Dispatcher dispatcher = dispatcher(store, Duration.ZERO, DEFAULT_CEILING);
            work.open(store);
            work.addUnit(store);
            Identity node = Identity.generate();
            long takenAt = clock.millis();
            WorkUnit leased = claim(dispatcher, node);

            // renewing just before each deadline, as long as the coordinator lets it
            long deadline = leased.getLeaseDeadlineMs();
            int renewals = 0;
            while (true) {
                clock.advance(Duration.ofMillis(deadline - clock.millis()));
                try {
                    deadline = Long.parseLong(renew(dispatcher, node, leased.getId()).getMessage());
                    renewals++;
                } catch (Rejection refused) {
                    assertThat(refused.getMessage()).contains("the most allowed");
                    break;
                }
                assertThat(renewals).as("refused long before the old cap of 100").isLessThan(100);
            }
            long leaseMs = leased.getLeaseDeadlineMs() - takenAt;
            assertThat(deadline - takenAt).as("the unit is kept for a handful of leases, not 100")
                    .isLessThanOrEqualTo(5 * leaseMs);
            assertThat(deadline - takenAt).as("yet longer than an honest holder needs")
                    .isGreaterThanOrEqualTo(HONEST_HOLD_MS);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite"})
    void theOperatorsCeilingStillHolds(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> {
            Dispatcher dispatcher = dispatcher(store, Duration.ofSeconds(5), 2);
            work.open(store);
            work.addUnit(store);
            Identity node = Identity.generate();
            WorkUnit leased = claim(dispatcher, node);
            for (int i = 0; i < 2; i++) {
                clock.advance(Duration.ofMillis(2_500));
                renew(dispatcher, node, leased.getId());
            }
            clock.advance(Duration.ofMillis(2_500));
            assertThatThrownBy(() -> renew(dispatcher, node, leased.getId())).isInstanceOf(Rejection.class)
                    .hasMessageContaining("renewed 2 times");
        });
    }

    private Dispatcher dispatcher(Store store, Duration lease, int maxRenewals) {
        return new Dispatcher(store, clock, new Leases(lease), new ClaimPolicy(Duration.ZERO),
                new Dispatcher.ClaimLimits(4, maxRenewals));
    }

    private WorkUnit claim(Dispatcher dispatcher, Identity node) {
        return dispatcher.claim(Fixtures.signedClaim(node, clock.millis(), "", WorkUnit.Kind.EVALUATE), "81.2.69.5")
                .getUnit();
    }

    private dev.rhizome.proto.v1.Ack renew(Dispatcher dispatcher, Identity node, String unit) {
        return dispatcher.renew(Fixtures.signed(node, LeaseRenewal.newBuilder().setWorkUnitId(unit)
                .setNode(node.publicId().toByteString()).setTimeMs(clock.millis()).build(),
                LeaseRenewal.getDefaultInstance()));
    }
}
