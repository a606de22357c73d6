package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class WriteQuotaTest {
    private static final long NOW = 1_700_000_000_000L;
    private static final WriteQuota.Limit LIMIT = new WriteQuota.Limit(3, 10, 100);

    @Test
    void eachScopeIsCheckedNarrowestFirstAndBelowEveryBoundTheWriteIsAllowed() {
        assertThat(WriteQuota.refusal(WriteQuota.Kind.EXPERIMENTS, LIMIT, new WriteQuota.Counts(2, 9, 99), true, NOW))
                .isEmpty();
        assertThat(WriteQuota.refusal(WriteQuota.Kind.EXPERIMENTS, LIMIT, new WriteQuota.Counts(3, 10, 100), true, NOW))
                .get().asString().contains("this key").contains("3 experiments today, at most 3 a day");
        assertThat(WriteQuota.refusal(WriteQuota.Kind.EXPERIMENTS, LIMIT, new WriteQuota.Counts(0, 10, 100), true, NOW))
                .get().asString().contains("this address");
        assertThat(WriteQuota.refusal(WriteQuota.Kind.PAPERS, LIMIT, new WriteQuota.Counts(0, 0, 100), true, NOW))
                .get().asString().contains("all keys together").contains("daily_write_limits.papers")
                .contains("resets at " + (Reputation.dayStart(NOW) + Reputation.DAY_MS));
    }

    @Test
    void zeroMeansNoBoundAndAWriteWithoutAnAddressIsNotCountedByOne() {
        WriteQuota.Limit open = new WriteQuota.Limit(0, 0, 0);
        assertThat(WriteQuota.refusal(WriteQuota.Kind.SEEDS, open, new WriteQuota.Counts(1 << 30, 1 << 30, 1 << 30),
                true, NOW)).isEmpty();
        assertThat(WriteQuota.refusal(WriteQuota.Kind.SEEDS, LIMIT, new WriteQuota.Counts(0, 50, 0), false, NOW))
                .isEmpty();
        assertThatThrownBy(() -> new WriteQuota.Limit(-1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNetworkGetsAShareOfTheTotalNotAllOfIt() throws Exception {
        // many addresses of one /24 (or /48) could use up a whole day's total and lock everyone out
        WriteQuota.Limit shared = new WriteQuota.Limit(0, 10, 100, 20);
        assertThat(WriteQuota.refusal(WriteQuota.Kind.EXPERIMENTS, shared, new WriteQuota.Counts(0, 1, 20, 19), true, NOW))
                .isEmpty();
        assertThat(WriteQuota.refusal(WriteQuota.Kind.EXPERIMENTS, shared, new WriteQuota.Counts(0, 1, 20, 20), true, NOW))
                .get().asString().contains("this network (an IPv4 /24 or IPv6 /48 counts as one)")
                .contains("at most 20 a day");
        assertThat(WriteQuota.refusal(WriteQuota.Kind.EXPERIMENTS, shared, new WriteQuota.Counts(0, 0, 0, 50), false, NOW))
                .as("no address, no network").isEmpty();
        for (WriteQuota.Kind kind : WriteQuota.Kind.values()) {
            WriteQuota.Limit l = WriteQuota.Limits.defaults().of(kind);
            assertThat(l.perNetwork()).as(kind.configName()).isGreaterThanOrEqualTo(l.perAddress());
            if (l.total() > 0) {
                assertThat(l.perNetwork()).as(kind.configName()).isLessThanOrEqualTo(l.total() / 5);
            }
        }
        assertThat(AddressScope.network(AddressScope.of(InetAddress.getByName("192.0.2.7"))))
                .isEqualTo("192.0.2.0/24");
        assertThat(AddressScope.network(AddressScope.of(InetAddress.getByName("2001:db8:1:2:aaaa::1"))))
                .isEqualTo(AddressScope.network(AddressScope.of(InetAddress.getByName("2001:db8:1:ffff::9"))))
                .isEqualTo("2001:db8:1::/48");
        assertThat(AddressScope.network("")).isEmpty();
    }

    @Test
    void defaultsBoundEveryKindAndHonestUseIsFarBelowThem() {
        WriteQuota.Limits defaults = WriteQuota.Limits.defaults();
        for (WriteQuota.Kind kind : WriteQuota.Kind.values()) {
            WriteQuota.Limit l = defaults.of(kind);
            assertThat(l.perAddress()).as(kind.configName()).isPositive();
            assertThat(l.perNetwork()).as(kind.configName()).isPositive();
            if (kind == WriteQuota.Kind.LEASES) {
                // a day's cap on everyone's leases would let a few networks stop every runner's work
                assertThat(l.total()).as(kind.configName()).isZero();
            } else {
                assertThat(l.total()).as(kind.configName()).isPositive();
            }
            assertThat(WriteQuota.Kind.named(kind.configName())).contains(kind);
        }
        // an agent proposing a few hundred experiments a day
        assertThat(defaults.of(WriteQuota.Kind.EXPERIMENTS).perKey()).isGreaterThanOrEqualTo(1_000);
    }

    @Test
    void addressScopesCountAnIpv6SlashSixtyFourAsOneAddress() throws Exception {
        assertThat(AddressScope.of(InetAddress.getByName("192.0.2.7"))).isEqualTo("192.0.2.7");
        assertThat(AddressScope.of(InetAddress.getByName("2001:db8:1:2:aaaa::1")))
                .isEqualTo(AddressScope.of(InetAddress.getByName("2001:db8:1:2:bbbb::9")))
                .isEqualTo("2001:db8:1:2::/64");
        assertThat(AddressScope.of(InetAddress.getByName("2001:db8:1:3::1"))).isEqualTo("2001:db8:1:3::/64");
        assertThat(AddressScope.of(InetAddress.getByName("::1"))).isEqualTo("0:0:0:0::/64");
    }
}
