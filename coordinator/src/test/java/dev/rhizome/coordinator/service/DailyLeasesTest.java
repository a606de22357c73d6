package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Leases a day, on real stores: an address (and its network) takes a bounded number of leases a
 * UTC day whatever keys it signs with ({@code daily_write_limits.leases}), where fresh keys each
 * brought a fresh quota of their own; and a lease given back because its claim's answer reached
 * nobody ({@link Dispatcher#giveBackUnanswered}) counts in neither the key's daily quota nor its
 * address's day, since the client never had it.
 */
class DailyLeasesTest {
    private static final String FARM = "81.2.69.5";
    private static final String NEIGHBOUR_NETWORK = "81.2.70.9";

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final ClaimableWork work = new ClaimableWork(clock);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void freshKeysFromOneAddressMeetItsDailyLeasesAndAnotherAddressIsServed(String kind) throws Exception {
        onStore(kind, store -> {
            Dispatcher dispatcher = dispatcher(store, new WriteQuota.Limit(0, 3, 1_000, 100));
            work.open(store);
            for (int i = 0; i < 5; i++) {
                work.addUnit(store);
            }
            for (int i = 0; i < 3; i++) {
                assertThat(dispatcher.claim(claim(Identity.generate()), FARM).hasUnit()).as("lease %d", i).isTrue();
            }
            // a fresh key, with a fresh quota of its own, from the same address
            assertThatThrownBy(() -> dispatcher.claim(claim(Identity.generate()), FARM))
                    .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.code()).isEqualTo(Error.Code.LIMIT_REACHED))
                    .hasMessageContaining("daily leases limit reached")
                    .hasMessageContaining("this address")
                    .hasMessageContaining("at most 3 a day")
                    .hasMessageContaining("daily_write_limits.leases");
            assertThat(dispatcher.claim(claim(Identity.generate()), NEIGHBOUR_NETWORK).hasUnit())
                    .as("another address is served").isTrue();
            // the next UTC day the address leases again
            clock.advance(Duration.ofMillis(Reputation.DAY_MS));
            assertThat(dispatcher.claim(claim(Identity.generate()), FARM).hasUnit()).as("the next day").isTrue();
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aLeaseGivenBackUnansweredCountsInNeitherTheKeysQuotaNorItsAddresssDay(String kind) throws Exception {
        onStore(kind, store -> {
            Dispatcher dispatcher = dispatcher(store, new WriteQuota.Limit(0, 1, 1_000, 100));
            work.open(store);
            Identity node = Identity.generate();
            ByteString key = node.publicId().toByteString();
            // a key whose reputation allows one lease a day
            store.inTransaction(tx -> {
                tx.saveReputation(key, new Reputation(0, 0, 0, 0, 0, 1));
                return null;
            });
            String first = work.addUnit(store);
            String second = work.addUnit(store);
            ClaimResponse lost = dispatcher.claim(claim(node), FARM);
            assertThat(lost.getUnit().getId()).isEqualTo(first);
            assertThat(leasedToday(store, key)).isEqualTo(1);

            // its answer reached nobody (the connection was gone): given back
            assertThat(dispatcher.giveBackUnanswered(first, key)).isTrue();
            assertThat(leasedToday(store, key)).as("the key's leases today").isZero();
            assertThat((boolean) store.inTransaction(tx -> tx.everLeasedTo(first, key))).as("never its runner").isFalse();
            assertThat(store.inTransaction(tx -> tx.unit(first)).orElseThrow().state().name()).isEqualTo("OPEN");

            // the key's one lease of the day, and its address's one, are still there to take
            ClaimResponse again = dispatcher.claim(claim(node), FARM);
            assertThat(again.hasUnit()).as("the quota still holds its lease: %s", again).isTrue();
            assertThat(again.getUnit().getId()).isIn(first, second);
            assertThatThrownBy(() -> dispatcher.claim(claim(node), FARM)).as("and now it is spent")
                    .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.code()).isEqualTo(Error.Code.FORBIDDEN))
                    .hasMessageContaining("daily quota reached");
            assertThatThrownBy(() -> dispatcher.claim(claim(Identity.generate()), FARM)).as("and the address's")
                    .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.code()).isEqualTo(Error.Code.LIMIT_REACHED))
                    .hasMessageContaining("daily leases limit reached");
            String other = again.getUnit().getId().equals(first) ? second : first;
            assertThat(dispatcher.giveBackUnanswered(other, key)).as("a unit not leased to it").isFalse();
        });
    }

    private int leasedToday(Store store, ByteString key) {
        return store.inTransaction(tx -> tx.leasesSince(key, Reputation.dayStart(clock.millis())));
    }

    private Dispatcher dispatcher(Store store, WriteQuota.Limit leases) {
        WriteQuotas quotas = new WriteQuotas(WriteQuota.Limits.defaults().with(WriteQuota.Kind.LEASES, leases));
        return new Dispatcher(store, clock, new Leases(Duration.ofMinutes(10)), new ClaimPolicy(Duration.ZERO),
                new Dispatcher.ClaimLimits(4, 8), quotas);
    }

    private void onStore(String kind, Consumer<Store> test) throws Exception {
        BoardHistory.onStore(kind, dir, test);
    }

    private Verified<ClaimRequest> claim(Identity node) {
        return Fixtures.signedClaim(node, clock.millis(), "", WorkUnit.Kind.EVALUATE);
    }
}
