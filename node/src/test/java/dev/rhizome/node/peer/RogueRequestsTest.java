package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
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
