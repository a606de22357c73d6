package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a rogue asker tries on the serving side that the wire tests do not reach. */
class RogueRequestsTest {

    /** A channel accepted from {@code remote}: Netty's embedded channel, registered once its address is set. */
    static final class Accepted extends EmbeddedChannel {
        private final InetSocketAddress remote;

        Accepted(String address, InboundLimits limits) throws Exception {
            super(false, false, limits);
            this.remote = new InetSocketAddress(InetAddress.getByName(address), 40_000);
            register();
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return remote;
        }
    }

    @Test
    void oneIpv6HostIsOneAddressForTheConnectionBoundAsForTheUploadShares() throws Exception {
        InboundLimits limits = new InboundLimits(100, 2);
        Accepted first = new Accepted("2001:db8:1:2::1", limits);
        Accepted second = new Accepted("2001:db8:1:2::2", limits);
        Accepted third = new Accepted("2001:db8:1:2:ffff::3", limits);  // same /64, another address
        Accepted otherHost = new Accepted("2001:db8:1:3::1", limits);
        Accepted ipv4 = new Accepted("192.0.2.7", limits);

        assertThat(first.isOpen()).isTrue();
        assertThat(second.isOpen()).isTrue();
        assertThat(third.isOpen()).as("a third connection from one /64").isFalse();
        assertThat(otherHost.isOpen()).isTrue();
        assertThat(ipv4.isOpen()).isTrue();

        first.close();
        assertThat(new Accepted("2001:db8:1:2::9", limits).isOpen()).as("a freed place is taken again").isTrue();
    }

    /**
     * The total is shared max-min by network, then by address: a peer that filled it with
     * connections that never proved anything gives way to a newcomer from a less crowded network
     * or address (its newest unproven one is closed); proven ones are kept, and a newcomer from
     * the crowded address itself is refused. Before, the first to fill it kept everyone out.
     */
    @Test
    void aFullServerGivesAnUnprovenPlaceOfTheMostCrowdedToANewcomerFromElsewhere() throws Exception {
        InboundLimits limits = new InboundLimits(4, 4);
        List<Accepted> rogue = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            rogue.add(new Accepted("10.0.0.1", limits));
        }
        assertThat(new Accepted("10.0.0.1", limits).isOpen()).as("from the crowded address itself").isFalse();

        Accepted otherNetwork = new Accepted("192.0.2.7", limits);
        assertThat(otherNetwork.isOpen()).isTrue();
        assertThat(rogue).extracting(Accepted::isOpen).containsExactly(true, true, true, false);

        Accepted sameNetworkOtherAddress = new Accepted("10.0.9.9", limits);
        assertThat(sameNetworkOtherAddress.isOpen()).as("3 from 10.0.0.1, none from 10.0.9.9").isTrue();
        assertThat(rogue).extracting(Accepted::isOpen).containsExactly(true, true, false, false);
        assertThat(limits.open()).isEqualTo(4);

        List.of(rogue.get(0), rogue.get(1), otherNetwork, sameNetworkOtherAddress).forEach(InboundLimits::proven);
        assertThat(new Accepted("198.51.100.1", limits).isOpen()).as("proven places are kept").isFalse();
        assertThat(List.of(rogue.get(0), rogue.get(1), otherNetwork, sameNetworkOtherAddress)).allMatch(Accepted::isOpen);
    }

    /**
     * Half-open connections have their own bounds: past its address's, a newcomer from that
     * address is refused at accept whatever room is left in all; one that proves its key no longer
     * counts, so the address's next newcomer (an honest NAT mate) is let in. Past the bound in all,
     * a newcomer from a less crowded address takes the newest half-open place of the most crowded,
     * and proven places are never given up for it.
     */
    @Test
    void halfOpenConnectionsAreBoundedPerAddressAndInAllAndAProvenOneNoLongerCounts() throws Exception {
        InboundLimits limits = new InboundLimits(100, 50, 6, 3);
        List<Accepted> flood = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            flood.add(new Accepted("10.0.0.1", limits));
        }
        assertThat(flood).allMatch(Accepted::isOpen);
        assertThat(new Accepted("10.0.0.1", limits).isOpen()).as("a fourth half-open from one address").isFalse();

        InboundLimits.proven(flood.get(0));
        assertThat(limits.halfOpen()).isEqualTo(2);
        Accepted mate = new Accepted("10.0.0.1", limits);
        assertThat(mate.isOpen()).as("the address's place freed by a proof").isTrue();
        InboundLimits.proven(mate);

        List<Accepted> other = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            other.add(new Accepted("10.0.0.2", limits));
        }
        assertThat(limits.halfOpen()).as("the bound in all reached").isEqualTo(5);
        flood.add(new Accepted("10.0.0.1", limits));
        assertThat(limits.halfOpen()).isEqualTo(6);
        assertThat(limits.open()).isEqualTo(8);

        Accepted newcomer = new Accepted("192.0.2.7", limits);
        assertThat(newcomer.isOpen()).as("from another network, with the half-open places full").isTrue();
        assertThat(flood).extracting(Accepted::isOpen).as("the newest half-open of the most crowded network's most crowded addresses")
                .containsExactly(true, true, true, false);
        assertThat(other).allMatch(Accepted::isOpen);
        assertThat(mate.isOpen()).as("proven, never displaced").isTrue();
        assertThat(limits.halfOpen()).isEqualTo(6);
    }

    @Test
    void aRangeWhoseEndOverflowsIsTheRestOfTheBundle() {
        long size = 10_000;
        assertThat(ServeSession.rangeEnd(10, Long.MAX_VALUE - 5, size)).isEqualTo(size);
        assertThat(ServeSession.rangeEnd(10, Long.MAX_VALUE, size)).isEqualTo(size);
        assertThat(ServeSession.rangeEnd(0, 0, size)).isEqualTo(size);
        assertThat(ServeSession.rangeEnd(size, 0, size)).isEqualTo(size);
        assertThat(ServeSession.rangeEnd(100, 50, size)).isEqualTo(150);
        assertThat(ServeSession.rangeEnd(9_990, 50, size)).isEqualTo(size);
    }
}
