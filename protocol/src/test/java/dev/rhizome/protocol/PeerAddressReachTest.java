package dev.rhizome.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.PeerAddress.Reach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How far an address a peer hands on reaches: literals by their range, names by their suffix, never looked up. */
class PeerAddressReachTest {
    @ParameterizedTest
    @CsvSource({
            "127.0.0.1, LOOPBACK", "127.9.9.9, LOOPBACK", "::1, LOOPBACK", "0:0::1, LOOPBACK", "::ffff:127.0.0.1, LOOPBACK",
            "localhost, LOOPBACK", "LocalHost, LOOPBACK", "a.localhost, LOOPBACK",
            "169.254.169.254, LINK_LOCAL", "fe80::1, LINK_LOCAL", "febf::1, LINK_LOCAL", "printer.local, LINK_LOCAL",
            "10.1.2.3, PRIVATE", "172.16.0.1, PRIVATE", "172.31.255.255, PRIVATE", "192.168.0.1, PRIVATE",
            "100.64.0.1, PRIVATE", "100.127.255.255, PRIVATE", "0.1.2.3, PRIVATE", "192.0.2.1, PRIVATE",
            "198.18.0.1, PRIVATE", "198.51.100.1, PRIVATE", "203.0.113.1, PRIVATE", "240.0.0.1, PRIVATE",
            "fd00::1, PRIVATE", "fc00::1, PRIVATE", "fec0::1, PRIVATE", "2001:db8::7, PRIVATE", "::2, PRIVATE",
            "::ffff:10.0.0.1, PRIVATE", "64:ff9b::a00:1, PRIVATE", "::10.0.0.1, PRIVATE",
            "8.8.8.8, GLOBAL", "172.32.0.1, GLOBAL", "100.128.0.1, GLOBAL", "93.184.216.34, GLOBAL",
            "2a00:1450::1, GLOBAL", "2606:4700::1111, GLOBAL", "64:ff9b::808:808, GLOBAL", "::ffff:8.8.8.8, GLOBAL",
            "node.example.org, GLOBAL", "localhost.example.org, GLOBAL"})
    void reachOfAHost(String host, Reach reach) {
        assertThat(PeerAddress.reach(host)).isEqualTo(reach);
    }

    @ParameterizedTest
    @CsvSource({
            "LOOPBACK, LOOPBACK, true", "PRIVATE, LOOPBACK, true", "GLOBAL, LOOPBACK, true",
            "LOOPBACK, PRIVATE, false", "LINK_LOCAL, PRIVATE, false", "PRIVATE, PRIVATE, true", "GLOBAL, PRIVATE, true",
            "PRIVATE, GLOBAL, false", "LOOPBACK, GLOBAL, false", "GLOBAL, GLOBAL, true"})
    void anAddressIsLearntOverALinkItReachesNoNarrowerThan(Reach address, Reach link, boolean learnable) {
        assertThat(address.learnableOver(link)).isEqualTo(learnable);
    }

    @Test
    void namesCountByTheirDomainInPerHostBoundsAndLiteralsByTheirOneSpelling() {
        assertThat(PeerAddress.hostGroup("v7.Wild.example.")).isEqualTo("wild.example")
                .isEqualTo(PeerAddress.hostGroup("a.b.wild.example"));
        assertThat(PeerAddress.hostGroup("example")).isEqualTo("example");
        assertThat(PeerAddress.hostGroup("2001:0db8:0:0:0:0:0:7")).isEqualTo(PeerAddress.hostGroup("2001:db8::7"));
        assertThat(PeerAddress.hostGroup("10.0.0.1")).isEqualTo("10.0.0.1");
    }
}
