package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicaNetworksTest {
    private static final long HOLD_MS = ReplicaNetworks.HOLD.toMillis();

    private static String networkOf(String address) throws Exception {
        return ReplicaNetworks.of(AddressScope.of(InetAddress.getByName(address)));
    }

    @Test
    void aPublicAddressCountsByItsNetworkAPrivateOneWholeAndLoopbackOrNoneNotAtAll() throws Exception {
        assertThat(networkOf("81.2.69.7")).isEqualTo("81.2.69.0/24").isEqualTo(networkOf("81.2.69.200"));
        assertThat(networkOf("2a00:db8:1:2::5")).isEqualTo("2a00:db8:1::/48").isEqualTo(networkOf("2a00:db8:1:ff::1"));
        assertThat(networkOf("::ffff:84.17.46.9")).isEqualTo("84.17.46.0/24");
        // a lab's LAN: each machine is a network of its own
        assertThat(networkOf("10.1.2.3")).isEqualTo("10.1.2.3").isNotEqualTo(networkOf("10.1.2.4"));
        assertThat(networkOf("172.16.0.9")).isEqualTo("172.16.0.9");
        assertThat(networkOf("172.31.255.1")).isEqualTo("172.31.255.1");
        assertThat(networkOf("172.32.0.9")).as("outside 172.16.0.0/12").isEqualTo("172.32.0.0/24");
        assertThat(networkOf("192.168.1.20")).isEqualTo("192.168.1.20");
        assertThat(networkOf("100.64.3.4")).as("CGNAT").isEqualTo("100.64.3.4");
        assertThat(networkOf("169.254.1.1")).isEqualTo("169.254.1.1");
        assertThat(networkOf("fd12:3456:789a:1::9")).isEqualTo("fd12:3456:789a:1::/64")
                .isNotEqualTo(networkOf("fd12:3456:789a:2::9"));
        assertThat(networkOf("fe80::1")).isEqualTo("fe80:0:0:0::/64");
        // documentation and benchmarking ranges are routed nowhere: judged as nodes judge peers' addresses
        assertThat(networkOf("203.0.113.7")).isEqualTo("203.0.113.7");
        assertThat(networkOf("192.0.2.2")).isEqualTo("192.0.2.2");
        assertThat(networkOf("198.18.0.1")).isEqualTo("198.18.0.1");
        assertThat(networkOf("2001:db8:1:2::5")).isEqualTo("2001:db8:1:2::/64");
        assertThat(networkOf("127.0.0.1")).isEmpty();
        assertThat(networkOf("127.5.6.7")).isEmpty();
        assertThat(networkOf("::1")).isEmpty();
        assertThat(ReplicaNetworks.of("")).isEmpty();
    }

    @Test
    void aNetworkThatLeasedTheTrialWaitsTheHoldFromItsLatestLeaseOthersDoNot() {
        List<ReplicaNetworks.Lease> trial = List.of(new ReplicaNetworks.Lease("81.2.69.0/24", 1_000),
                new ReplicaNetworks.Lease("84.17.46.0/24", 5_000));
        assertThat(ReplicaNetworks.mayTake("81.2.69.0/24", trial, 1_001)).isFalse();
        assertThat(ReplicaNetworks.mayTake("81.2.69.0/24", trial, 999 + HOLD_MS)).isFalse();
        assertThat(ReplicaNetworks.mayTake("81.2.69.0/24", trial, 1_000 + HOLD_MS)).as("after the hold").isTrue();
        assertThat(ReplicaNetworks.mayTake("84.17.46.0/24", trial, 1_001 + HOLD_MS)).as("its own lease is later")
                .isFalse();
        assertThat(ReplicaNetworks.mayTake("89.160.20.0/24", trial, 1_001)).as("another network").isTrue();
        assertThat(ReplicaNetworks.mayTake("", trial, 1_001)).as("no network: loopback or unknown").isTrue();
        assertThat(ReplicaNetworks.mayTake("81.2.69.0/24", List.of(), 0)).as("a trial nobody leased").isTrue();
    }

    @Test
    void theHoldIsCountedFromTheLatestLeaseSoAQueueBackedUpPastTheHoldStillSpreadsReplicas() {
        // Both replicas queued long ago; the first just leased from this network.
        long now = 50 * HOLD_MS;
        List<ReplicaNetworks.Lease> trial = List.of(new ReplicaNetworks.Lease("81.2.69.0/24", 0),
                new ReplicaNetworks.Lease("81.2.69.0/24", now - 1));
        assertThat(ReplicaNetworks.mayTake("81.2.69.0/24", trial, now)).isFalse();
        assertThat(ReplicaNetworks.heldAfter(Long.MIN_VALUE + 1)).isEqualTo(Long.MIN_VALUE);
    }
}
