package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.HandshakeTurns;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.PublicId;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A rogue on 48 loopback addresses, each in a /16 of its own in 127/8 (48 networks as
 * {@code HandshakeTurns} shares its turns, where the honest nodes at 127.0.0.1 are one), storms the
 * node's inbound handshakes with valid hellos of made-up nodes, hanging up as each is answered and
 * dialling again: it is served a turn for each of its networks per turn of the honest one. Honest
 * nodes dial in meanwhile, link, and a commit one of them makes reaches the others; none of them is
 * banned by anyone, the rogue gets no more answers than the handshake budget, and once the storm
 * ends the node's descriptors and threads are back near where they were.
 */
class ManyNetworkHandshakeLoopbackTest extends RogueLoopbackTest {
    static final int ROGUE_NETWORKS = 48;
    /** Linking takes a second or two on a quiet machine (the honest network's turn comes once in 49). */
    static final LoadScaledBudget LINK_WAIT = new LoadScaledBudget(Duration.ofSeconds(20), Duration.ofSeconds(90));
    static final LoadScaledBudget SETTLE_WAIT = new LoadScaledBudget(Duration.ofSeconds(30), Duration.ofSeconds(120));

    @Test
    void aRogueTakingATurnForEachOfManyNetworksLeavesHonestNodesLinkingAndDelivering() throws Exception {
        Started a = start("a", honest(1), List.of());
        long fdsBefore = openFds();
        int threadsBefore = Thread.activeCount();
        List<String> from = new ArrayList<>();
        for (int r = 0; r < ROGUE_NETWORKS; r++) {
            from.add("127." + (1 + r) + ".0.2");
        }
        List<byte[]> frames = ManyAddressHandshakeLoopbackTest.madeUpHellos(256);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger opened = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread rogue = new Thread(() -> {
            try {
                ManyAddressHandshakeLoopbackTest.flood(new InetSocketAddress("127.0.0.1", a.gossip().port()), from, frames, stop,
                        answered, opened);
            } catch (Throwable e) {
                failed.set(e);
            }
        }, "many-network-rogue");
        rogue.setDaemon(true);
        long floodFrom = System.nanoTime();
        rogue.start();
        Started b;
        Started c;
        try {
            GossipServiceTest.await(() -> opened.get() >= HandshakeTurns.PER_SECOND * 4 || failed.get() != null,
                    SETTLE_WAIT.now());
            assertThat(failed.get()).isNull();
            b = start("b", honest(2), List.of(info(a)));
            c = start("c", honest(3), List.of(info(a)));
            PublicId bId = b.identity().publicId();
            PublicId cId = c.identity().publicId();
            GossipServiceTest.await(() -> linked(a).containsAll(List.of(bId, cId)), LINK_WAIT.now());
            String made = c.commitAndAnnounce("made while a rogue storms the handshakes");
            GossipServiceTest.await(() -> a.repo().has(made) && b.repo().has(made), LINK_WAIT.now());
            assertThat(failed.get()).isNull();
            assertThat(rogue.isAlive()).as("the storm went on meanwhile").isTrue();
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - floodFrom) + 1;
            assertThat(answered.get()).as("the rogue's hellos answered in %d s: a burst and %d a second at most", seconds,
                    HandshakeTurns.PER_SECOND).isLessThanOrEqualTo((int) (HandshakeTurns.PER_SECOND * (seconds + 1)));
            assertThat(linked(a)).as("no made-up node linked without a proof").containsOnly(bId, cId);
            assertThat(banned(a, bId) || banned(a, cId) || banned(b, a.identity().publicId()) || banned(c, a.identity().publicId())
                    || banned(b, cId) || banned(c, bId)).as("an honest node banned").isFalse();
        } finally {
            stop.set(true);
            rogue.join(30_000);
        }
        // The storm's connections are closed at both ends (the rogue's run in this JVM too); B's and C's stay.
        GossipServiceTest.await(() -> openFds() <= fdsBefore + 80, SETTLE_WAIT.now());
        assertThat(Thread.activeCount()).as("threads").isLessThanOrEqualTo(threadsBefore + 48);
        assertThat(linked(a)).as("the honest links outlived the storm").contains(b.identity().publicId(), c.identity().publicId());
    }
}
