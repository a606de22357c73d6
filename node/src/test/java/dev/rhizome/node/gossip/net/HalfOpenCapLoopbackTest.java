package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.protocol.identity.Identity;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Half-open connections (accepted, nothing proven) over real sockets: one address holds at most
 * {@code InboundLimits.MAX_UNPROVEN_PER_ADDRESS} (64) of them and the node at most
 * {@code MAX_UNPROVEN} (256) in all; at its address's bound a newcomer takes the place of that
 * address's oldest half-open connection, and past the overall bound a newcomer from a less crowded
 * address takes the newest place of the most crowded one. Before round 34 one address held 256 and the node 1,024, each for a
 * handshake turn (two minutes here), opened again as they closed. An honest node at 127.0.0.1 links
 * while the flood's sockets are held.
 */
class HalfOpenCapLoopbackTest extends RogueLoopbackTest {
    /** Handshake turns of two minutes and an idle timeout longer still: the flood's sockets stay for the test. */
    static final PeerConfig PATIENT = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(60), Duration.ofSeconds(300));
    static final int PER_ADDRESS_CAP = 64;
    static final int OVERALL_CAP = 256;

    @Test
    void oneAddressHoldsItsShareOfHalfOpenPlacesManyHoldTheOverallCapAndAnHonestPeerLinks() throws Exception {
        Identity aId = Identity.generate();
        Started a = net.startWith(tmp.resolve("a"), aId, honest(1).apply(aId), PATIENT, List::of);
        InetSocketAddress target = new InetSocketAddress("127.0.0.1", a.gossip().port());
        Map<String, List<Socket>> flood = new LinkedHashMap<>();
        try {
            // One address, past its bound: its oldest give their places to its newest, nothing read from either.
            open(flood, "127.0.0.2", 100, target);
            GossipServiceTest.await(() -> closedOf(flood.get("127.0.0.2")) >= 100 - PER_ADDRESS_CAP, Duration.ofSeconds(60));
            assertThat(openOf(flood.get("127.0.0.2"))).as("half-open connections one address holds").isEqualTo(PER_ADDRESS_CAP);

            // Five more addresses of the same network, 64 each: past the overall bound, places are shared among them.
            for (int i = 3; i <= 7; i++) {
                open(flood, "127.0.0." + i, PER_ADDRESS_CAP, target);
            }
            GossipServiceTest.await(() -> openIn(flood) <= OVERALL_CAP, Duration.ofSeconds(60));
            assertThat(flood.values()).as("no address above its bound").allSatisfy(s -> assertThat(openOf(s)).isLessThanOrEqualTo(PER_ADDRESS_CAP));
            assertThat(openOf(flood.get("127.0.0.7"))).as("the last address still got places, taken from the most crowded")
                    .isGreaterThan(0);

            Started b = start("b", honest(2), List.of(info(a)));
            GossipServiceTest.await(() -> linked(a).contains(b.identity().publicId()), Duration.ofSeconds(60));
            assertThat(openIn(flood)).as("the flood's half-open places while the honest peer linked").isLessThanOrEqualTo(OVERALL_CAP)
                    .isGreaterThan(OVERALL_CAP / 2);
        } finally {
            for (List<Socket> sockets : flood.values()) {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    private static void open(Map<String, List<Socket>> flood, String from, int count, InetSocketAddress target) throws Exception {
        List<Socket> sockets = flood.computeIfAbsent(from, f -> new ArrayList<>());
        for (int i = 0; i < count; i++) {
            Socket s = new Socket();
            s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
            s.connect(target, 10_000);
            sockets.add(s);
        }
    }

    private static int closedOf(List<Socket> sockets) {
        return (int) sockets.stream().filter(RogueLoopbackTest::isClosedByPeer).count();
    }

    private static int openOf(List<Socket> sockets) {
        return sockets.size() - closedOf(sockets);
    }

    private static int openIn(Map<String, List<Socket>> flood) {
        return flood.values().stream().mapToInt(HalfOpenCapLoopbackTest::openOf).sum();
    }
}
