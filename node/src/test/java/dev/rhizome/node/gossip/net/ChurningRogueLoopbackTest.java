package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.protocol.identity.Identity;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A rogue linking and dropping in a loop, or hanging up after our hello: its address rests
 * before it costs a handshake each time, and an honest peer reconnecting, or at another address,
 * links at once.
 */
class ChurningRogueLoopbackTest extends RogueLoopbackTest {
    @Test
    void aPeerRelinkingInALoopGetsRestsBeforeAnyHandshakeAndAnHonestPeerReconnectingAfterADropLinksAtOnce() throws Exception {
        Started a = start("a", honest(1), List.of());
        // An honest peer at its own address: linked, then its link drops (a network blip).
        Identity honest = Identity.generate();
        Socket first = handshakeFrom(honest, a, "127.0.0.2");
        assertThat(first).as("the honest peer's first handshake").isNotNull();
        GossipServiceTest.await(() -> linked(a).contains(honest.publicId()), Duration.ofSeconds(60));
        first.close();
        GossipServiceTest.await(() -> !linked(a).contains(honest.publicId()), Duration.ofSeconds(60));

        // A rogue links from 127.0.0.1 under a fresh key every 100 ms (each link up, then dropped) for
        // 20 s: before, every one cost A a whole handshake; now, past 12 churned links its address
        // rests (closed at accept, nothing read), 5 s doubling while it keeps at it.
        int answered = 0;
        int attempts = 0;
        long started = System.nanoTime();
        while (System.nanoTime() - started < Duration.ofSeconds(20).toNanos()) {
            attempts++;
            Identity fresh = Identity.generate();
            Socket s = handshakeFrom(fresh, a, "127.0.0.1");
            if (s != null) {
                answered++;
                try (s) {
                    // The link is up at A (the core counts it), then the rogue drops it.
                    GossipServiceTest.await(() -> linked(a).contains(fresh.publicId()) || isClosedByPeer(s), Duration.ofSeconds(30));
                }
            }
            Thread.sleep(100); // the rogue's pace, not a wait for the node
        }
        // At most 13 handshakes before the first rest, then one per rest (5 s, 10 s within the 20 s).
        assertThat(answered).as("handshakes answered in %d attempts over 20 s", attempts).isLessThanOrEqualTo(16);
        assertThat(attempts).as("attempts closed at accept").isGreaterThan(answered);

        // The honest peer reconnects, three times in a row, from its own address: linked at once each time.
        for (int i = 0; i < 3; i++) {
            Socket back = handshakeFrom(honest, a, "127.0.0.2");
            assertThat(back).as("reconnect %d answered", i).isNotNull();
            try (back) {
                GossipServiceTest.await(() -> linked(a).contains(honest.publicId()), Duration.ofSeconds(60));
            }
            GossipServiceTest.await(() -> !linked(a).contains(honest.publicId()), Duration.ofSeconds(60));
        }
    }

    /**
     * A rogue that sends a valid hello, takes the node's (a verification and a signature of the
     * node's) and hangs up before its proof never linked, so the churn rule never counted it: each
     * cost a handshake, bounded only by the handshake turns. Now each is churn of its address.
     */
    @Test
    void aRogueHangingUpAfterOurHelloInALoopGetsRestsAndAnHonestPeerElsewhereStillLinks() throws Exception {
        Started a = start("a", honest(1), List.of());
        int answered = 0;
        int attempts = 0;
        long started = System.nanoTime();
        while (System.nanoTime() - started < Duration.ofSeconds(15).toNanos()) {
            attempts++;
            if (helloOnlyFrom(Identity.generate(), a, "127.0.0.1")) {
                answered++;
            }
            Thread.sleep(100); // the rogue's pace, not a wait for the node
        }
        // At most 13 answered hellos before the first rest, then one per rest (5 s, 10 s within the 15 s).
        assertThat(answered).as("hellos answered in %d attempts over 15 s", attempts).isLessThanOrEqualTo(16);
        assertThat(attempts).as("attempts closed at accept").isGreaterThan(answered);

        // An honest peer of another network links at once.
        Identity honest = Identity.generate();
        Socket s = handshakeFrom(honest, a, "127.0.1.2");
        assertThat(s).as("the honest peer's handshake").isNotNull();
        try (s) {
            GossipServiceTest.await(() -> linked(a).contains(honest.publicId()), Duration.ofSeconds(60));
        }
    }
}
