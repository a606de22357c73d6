package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.AddressScope;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

/**
 * Connections are capped per client as {@link AddressScope} groups addresses: an IPv6 host, which
 * holds a whole /64, opens no more connections by spreading them over its addresses, and a site
 * with a /48 (or an IPv4 /24) no more than its network's share by spreading them over its /64s.
 */
class ConnectionLimitsTest {
    private final ConnectionLimits limits = new ConnectionLimits(100, 100, 2);

    private boolean admit(String address) throws UnknownHostException {
        return limits.admit(AddressScope.of(InetAddress.getByName(address)));
    }

    @Test
    void oneIpv6Slash64IsOneClientAndAnotherSlash64IsAnother() throws Exception {
        assertThat(admit("2001:db8:1:2::1")).isTrue();
        assertThat(admit("2001:db8:1:2::2")).isTrue();
        assertThat(admit("2001:db8:1:2:ffff:ffff:ffff:ffff")).as("a third address of the same /64").isFalse();
        assertThat(admit("2001:db8:1:3::1")).as("the next /64").isTrue();
        assertThat(limits.open()).isEqualTo(3);

        limits.release(AddressScope.of(InetAddress.getByName("2001:db8:1:2::1")));
        assertThat(admit("2001:db8:1:2::9")).as("a closed connection frees its /64's place").isTrue();
    }

    @Test
    void ipv4CountsEachAddressAndAMappedOneAsItself() throws Exception {
        assertThat(admit("192.0.2.1")).isTrue();
        assertThat(admit("::ffff:192.0.2.1")).isTrue();
        assertThat(admit("192.0.2.1")).as("the mapped address is the same client").isFalse();
        assertThat(admit("192.0.2.2")).as("its neighbour is another").isTrue();
    }

    @Test
    void refusedConnectionsAreAnsweredOnlyAsManyAtOnceAsTheBoundAllows() {
        ConnectionLimits limits = new ConnectionLimits(1, 1, 1, 2);
        assertThat(limits.admit("192.0.2.1")).isTrue();
        assertThat(limits.admit("192.0.2.2")).as("over the total cap").isFalse();
        assertThat(limits.startAnswering()).isTrue();
        assertThat(limits.startAnswering()).isTrue();
        assertThat(limits.startAnswering()).as("a flood past the bound is closed unanswered").isFalse();
        limits.answered();
        assertThat(limits.startAnswering()).as("a finished answer frees its place").isTrue();
        assertThat(limits.open()).as("answers hold no place under the caps").isEqualTo(1);
    }

    @Test
    void theTotalCapHoldsAcrossClients() throws Exception {
        ConnectionLimits small = new ConnectionLimits(2, 2, 2);
        assertThat(small.admit("192.0.2.1")).isTrue();
        assertThat(small.admit("2001:db8:0:0::/64")).isTrue();
        assertThat(small.admit("192.0.2.3")).isFalse();
        assertThat(small.open()).isEqualTo(2);
    }

    @Test
    void theSlash64sOfOneSlash48ShareTheNetworksCapAndAnotherSlash48HasItsOwn() throws Exception {
        ConnectionLimits limits = new ConnectionLimits(100, 5, 2);
        int admitted = 0;
        for (int subnet = 0; subnet < 1000; subnet++) {  // a /48 holds 65,536 /64s, each its own address
            if (limits.admit(AddressScope.of(InetAddress.getByName("2001:db8:1:" + Integer.toHexString(subnet) + "::1")))) {
                admitted++;
            }
        }
        assertThat(admitted).as("one /48's /64s together").isEqualTo(5);
        assertThat(limits.admit(AddressScope.of(InetAddress.getByName("2001:db8:2::1")))).as("the next /48").isTrue();

        limits.release(AddressScope.of(InetAddress.getByName("2001:db8:1:3::1")));
        assertThat(limits.admit(AddressScope.of(InetAddress.getByName("2001:db8:1:ffff::1"))))
                .as("a closed connection frees its network's place").isTrue();
        assertThat(limits.open()).isEqualTo(6);
    }

    @Test
    void theAddressesOfOneIpv4Slash24ShareTheNetworksCap() throws Exception {
        ConnectionLimits limits = new ConnectionLimits(100, 3, 2);
        assertThat(limits.admit("192.0.2.1")).isTrue();
        assertThat(limits.admit("192.0.2.1")).isTrue();
        assertThat(limits.admit("192.0.2.1")).as("its address's cap").isFalse();
        assertThat(limits.admit("192.0.2.2")).isTrue();
        assertThat(limits.admit("192.0.2.3")).as("its /24's cap").isFalse();
        assertThat(limits.admit("198.51.100.1")).as("another /24").isTrue();
        limits.release("192.0.2.1");
        assertThat(limits.admit("192.0.2.200")).as("a closed connection frees its /24's place").isTrue();
    }
}
