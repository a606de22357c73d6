package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.protocol.identity.PublicId;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A rogue handing on made-up signed records (padded, without an address, naming a victim's or a
 * live node's address): the peer table stays bounded, no honest relay of them is banned, and the
 * address they name is not dialled over and over.
 */
class PeerTablePoisonLoopbackTest extends RogueLoopbackTest {
    @Test
    void paddedNodeInfosFromARogueNeitherFillTheTableNorGetAnHonestRelayBanned() throws Exception {
        // The rogue keeps every link it is offered (it dials none): A knows it from its bootstrap.
        Started rogue = start("rogue", id -> self -> HostileProtocols.padder(id, self), List.of());
        Started a = start("a", honest(1), List.of(info(rogue)));
        Started c = start("c", honest(3), List.of(info(a)));
        PublicId rogueId = rogue.identity().publicId();
        // Refused at once (and the rogue banned), or, without the bounds, kept by the dozen.
        GossipServiceTest.await(() -> banned(a, rogueId) || tableSize(a) >= 40, Duration.ofSeconds(30));

        // B asks A for peers on linking; A's answer carries what its table holds, and must fit B's frames.
        Started b = start("b", honest(2), List.of(info(a)));
        PublicId aId = a.identity().publicId();
        GossipServiceTest.await(() -> tableSize(b) >= 2 || banned(b, aId),
                Duration.ofSeconds(20));
        boolean banned = b.gossip().query(p -> p.isBanned(aId, System.currentTimeMillis()));
        double score = b.gossip().query(p -> ((GossipCore) p).score(aId));
        assertThat(banned).as("the honest relay banned").isFalse();
        assertThat(score).isGreaterThanOrEqualTo(0.0);
        assertThat(linked(b)).contains(aId);
        assertThat(linked(c)).contains(aId);
        assertThat(tableSize(a)).as("made-up padded nodes kept").isLessThanOrEqualTo(3);
    }

    @Test
    void madeUpNodesWithoutAnAddressAreNotKeptAndHonestNewcomersStillFindPlaces() throws Exception {
        // Before, each was kept: never dialled, so never failed, so never evicted, and the table filled for good.
        AtomicInteger sent = new AtomicInteger();
        Started rogue = start("rogue", id -> self -> HostileProtocols.addressless(id, self, sent), List.of());
        Started a = start("a", honest(1), List.of(info(rogue)));
        GossipServiceTest.await(() -> sent.get() >= 300 || tableSize(a) >= 40, Duration.ofSeconds(60));
        assertThat(tableSize(a)).as("made-up nodes without an address kept").isLessThanOrEqualTo(1);
        Started b = start("b", honest(2), List.of(info(a)));
        PublicId bId = b.identity().publicId();
        GossipServiceTest.await(() -> linked(a).contains(bId), Duration.ofSeconds(60));
        assertThat(banned(a, rogue.identity().publicId())).as("an older node may relay such records: no offence").isFalse();
    }

    @Test
    void madeUpNodesNamingAVictimsAddressGetItDialledOneAtATimeAndAreNotHandedOn() throws Exception {
        // The victim runs no node: it takes connections and never answers, so each dial waits out the handshake.
        try (ServerSocket victim = new ServerSocket(0, 512, InetAddress.getLoopbackAddress())) {
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger maxOpen = new AtomicInteger();
            List<Socket> held = Collections.synchronizedList(new ArrayList<>());
            Thread acceptor = new Thread(() -> {
                while (!victim.isClosed()) {
                    try {
                        Socket s = victim.accept();
                        accepted.incrementAndGet();
                        held.add(s);
                        synchronized (held) {
                            held.removeIf(h -> isClosedByPeer(h));
                            maxOpen.accumulateAndGet(held.size(), Math::max);
                        }
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "victim");
            acceptor.setDaemon(true);
            acceptor.start();
            net.open.add(() -> held.forEach(h -> {
                try {
                    h.close();
                } catch (IOException ignored) {
                    // closing
                }
            }));

            Started rogue = start("rogue", id -> self -> HostileProtocols.reflector(id, self, "127.0.0.1", victim.getLocalPort()),
                    List.of());
            Started a = start("a", honest(1), List.of(info(rogue)));
            Started b = start("b", honest(2), List.of(info(a)));
            GossipServiceTest.await(() -> linked(b).contains(a.identity().publicId()), Duration.ofSeconds(60));
            // Three dials came and went (each waits out the 2 s handshake), while the rogue poured in 30 ids a second.
            GossipServiceTest.await(() -> accepted.get() >= 4, Duration.ofSeconds(30));

            // One dial in flight per node (A and B) to the victim's address, whatever the ids; without
            // the bound each node kept its whole degree of dials there.
            assertThat(maxOpen.get()).as("connections open at the victim at once").isLessThanOrEqualTo(2);
            // B learnt the victim's address from A at most twice (A relays the first id only, and a
            // peer exchange carries one record per address): A, the rogue and two ids at most.
            assertThat(tableSize(b)).as("B's peer table").isLessThanOrEqualTo(4);
            assertThat(tableSize(a)).as("A's peer table").isLessThanOrEqualTo(4);
        }
    }

    @Test
    void madeUpNodesNamingALiveNodesAddressGetItDialledOnceWhenItAnswersAsItself() throws Exception {
        // The victim runs a node; a counting forwarder in front of it is the address the made-up ids name.
        Started victim = start("victim", honest(3), List.of());
        try (ServerSocket front = new ServerSocket(0, 512, InetAddress.getLoopbackAddress())) {
            AtomicInteger accepted = new AtomicInteger();
            Thread acceptor = new Thread(() -> {
                while (!front.isClosed()) {
                    try {
                        Socket in = front.accept();
                        accepted.incrementAndGet();
                        Socket out = new Socket("127.0.0.1", victim.gossip().port());
                        net.open.add(in);
                        net.open.add(out);
                        pipe(in, out);
                        pipe(out, in);
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "front");
            acceptor.setDaemon(true);
            acceptor.start();

            Started rogue = start("rogue", id -> self -> HostileProtocols.reflector(id, self, "127.0.0.1", front.getLocalPort()),
                    List.of());
            Started a = start("a", honest(1), List.of(info(rogue)));
            GossipServiceTest.await(() -> accepted.get() >= 1, Duration.ofSeconds(30));
            // Hundreds of made-up ids there meanwhile. Each dial the victim answered as itself was a
            // failed dial of the address: redialled every 0.2, 0.4 ... 2 s, a handshake at the victim each.
            long before = stats(a).announcementsReceived();
            GossipServiceTest.await(() -> stats(a).announcementsReceived() >= before + 300, Duration.ofSeconds(60));
            assertThat(accepted.get()).as("dials at the live node's address").isEqualTo(1);
        }
    }

    private static void pipe(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (IOException closed) {
                // either end closed
            } finally {
                try {
                    to.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }, "pipe");
        t.setDaemon(true);
        t.start();
    }
}
