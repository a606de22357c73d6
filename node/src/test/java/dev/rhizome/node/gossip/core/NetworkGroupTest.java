package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The networks diversity counts: what one party easily holds many addresses of is one. */
class NetworkGroupTest {
    @Test
    void addressesOfOneSlash16OneSlash32OrOneDomainAreOneNetworkAndOthersAreNot() {
        assertThat(NetworkGroup.of("203.0.113.7")).isEqualTo(NetworkGroup.of("203.0.7.250")).isNotEqualTo(NetworkGroup.of("203.1.113.7"));
        assertThat(NetworkGroup.of("2001:db8:1::7")).isEqualTo(NetworkGroup.of("2001:0DB8:ffff:0:0:0:0:1"))
                .isNotEqualTo(NetworkGroup.of("2001:db9::7"));
        assertThat(NetworkGroup.of("::ffff:203.0.113.7")).isEqualTo(NetworkGroup.of("203.0.1.1"));
        assertThat(NetworkGroup.of("v7.Wild.example.")).isEqualTo(NetworkGroup.of("a.b.wild.example"))
                .isNotEqualTo(NetworkGroup.of("wild.test"));
        assertThat(NetworkGroup.of("")).isEmpty();
    }
}
