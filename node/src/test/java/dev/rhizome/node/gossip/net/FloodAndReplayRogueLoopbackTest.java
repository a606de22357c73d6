package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Round 18's rogue behaviours, written from the schemas (peer.proto, records.proto) against real
 * nodes on loopback: an inventory flood rotating tens of thousands of commits it does not hold, from
 * one key and from keys churned per connection; another node's hello replayed as the rogue's own;
 * another node's signed announcement replayed on the rogue's link; every inbound link slot taken
 * from many networks (an eclipse attempt). For each: the honest peer is
 * never penalised and keeps its link, what the node holds for the rogue stays bounded, an honest
 * bundle still arrives, and the WARN lines stay within each call site's {@link WarnBudget}.
 */
class FloodAndReplayRogueLoopbackTest extends LoopbackTest {
    final NodeLog logged = new NodeLog();
    final List<Socket> rogueLinks = new ArrayList<>();

    @AfterEach
    void detach() throws IOException {
        logged.close();
        for (Socket s : rogueLinks) {
            s.close();
        }
    }

    @Test
    void aRotatingInventoryFloodFromOneKeyAndChurnedKeysLeavesTheWantsBoundedAndAnHonestBundleArrives() throws Exception {
        LoopbackNet.Started victim = net.start(tmp.resolve("victim"), Identity.generate(), Wants.everything(), null, true);
        LoopbackNet.Started maker = net.start(tmp.resolve("maker"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> victim.linkedTo(maker.id()) && maker.linkedTo(victim.id()), Duration.ofSeconds(60));
        logged.watch();
        long started = System.nanoTime();
        int port = victim.gossip().port();

        // One key: 30 inventories of 1,000 fresh commits each, a new thousand each time (30,000 in all).
        Identity flooder = Identity.generate();
        Socket link = link(flooder, port, victim.id());
        int next = 0;
        for (int round = 0; round < 30; round++) {
            announce(link, flooder, madeUp(next, 1_000));
            next += 1_000;
        }
        // A fresh key per connection from the same address, each with its own thousand (10,000 more).
        for (int k = 0; k < 10; k++) {
            Identity churned = Identity.generate();
            announce(link(churned, port, victim.id()), churned, madeUp(next, 1_000));
            next += 1_000;
        }

        // Every made-up commit's holder sits at an address that takes no connection: each ask of it is
        // declined unreachable (free), and after a few its keys rest, so the honest commit gets a slot.
        // Before, each was a lost connection retried three times a commit, the rogue's keys held all 4
        // fetch slots, and the honest bundle waited 55 s on loopback.
        long made = System.nanoTime();
        String real = maker.commitAndAnnounce("real");
        GossipServiceTest.await(() -> victim.repo().has(real), Duration.ofSeconds(90));
        assertThat(Duration.ofNanos(System.nanoTime() - made)).as("the honest bundle's wait behind the flood")
                .isLessThan(Duration.ofSeconds(30));

        int maxWants = Math.max(GossipConfig.defaults().maxCommitsPerInventory(), GossipConfig.defaults().maxSeen() / 10);
        int wanted = LoopbackNet.ask(victim.gossip(), p -> ((GossipCore) p).stats().wanted());
        assertThat(wanted).as("commits wanted, against 40,000 claimed").isLessThanOrEqualTo(maxWants);
        assertThat(victim.scoreOf(maker.id())).isZero();
        assertThat(victim.linkedTo(maker.id())).isTrue();
        logged.assertWarningsWithinBudget(started);
    }

    @Test
    void anotherNodesHelloReplayedCannotLinkUnderItsIdAndCostsThatNodeNothing() throws Exception {
        LoopbackNet.Started victim = net.start(tmp.resolve("victim"), Identity.generate(), Wants.everything(), null, true);
        LoopbackNet.Started honest = net.start(tmp.resolve("honest"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> victim.linkedTo(honest.id()) && honest.linkedTo(victim.id()), Duration.ofSeconds(60));
        logged.watch();
        long started = System.nanoTime();

        // The honest node's own hello, taken by dialling it as a peer: its signed record and a nonce.
        PeerMessage captured;
        Identity rogue = Identity.generate();
        try (Socket s = new Socket("127.0.0.1", honest.gossip().port())) {
            s.setSoTimeout(30_000);
            RawWire.write(s.getOutputStream(), hello(rogue));
            captured = RawWire.read(s.getInputStream());
        }
        assertThat(captured.getHello().getNode()).isEqualTo(honest.id().toByteString());

        List<Boolean> hungUp = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            try (Socket s = new Socket("127.0.0.1", victim.gossip().port())) {
                s.setSoTimeout(30_000);
                RawWire.write(s.getOutputStream(), captured); // the honest node's hello, byte for byte
                PeerMessage theirs = RawWire.read(s.getInputStream());
                if (theirs != null) {
                    // No key to sign the victim's nonce with: the captured proof of another nonce, or nothing.
                    RawWire.write(s.getOutputStream(), PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder()
                            .setProof(captured.getHello().getProof().isEmpty() ? ByteString.copyFrom(new byte[64])
                                    : captured.getHello().getProof())).build());
                }
                hungUp.add(hangsUp(s));
            } catch (SocketException closed) {
                hungUp.add(true);
            }
        }

        assertThat(hungUp).as("the victim hangs up on each replay").containsOnly(true);
        assertThat(victim.linkedTo(honest.id())).as("the honest node's own link survives").isTrue();
        assertThat(honest.linkedTo(victim.id())).isTrue();
        assertThat(victim.scoreOf(honest.id())).as("the node whose hello was replayed pays nothing").isZero();
        assertThat(victim.bans(honest.id())).isFalse();
        logged.assertWarningsWithinBudget(started);
    }

    @Test
    void anotherNodesSignedInventoryReplayedOnARoguesLinkBansTheRogueAndTheHonestAnnouncementStillCounts() throws Exception {
        LoopbackNet.Started victim = net.start(tmp.resolve("victim"), Identity.generate(), Wants.everything(), null, true);
        LoopbackNet.Started maker = net.start(tmp.resolve("maker"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> victim.linkedTo(maker.id()) && maker.linkedTo(victim.id()), Duration.ofSeconds(60));
        Identity rogue = Identity.generate();
        // The rogue links to the maker, as any peer may, and hears its announcements.
        Socket toMaker = link(rogue, maker.gossip().port(), maker.id());
        Socket toVictim = link(rogue, victim.gossip().port(), victim.id());
        GossipServiceTest.await(() -> maker.linkedTo(rogue.publicId()) && victim.linkedTo(rogue.publicId()), Duration.ofSeconds(60));
        logged.watch();
        long started = System.nanoTime();

        String real = maker.commitAndAnnounce("real");
        SignedEnvelope makers = inventoryNaming(toMaker, maker.id(), real);
        // Passed on as the rogue's own, again and again: each copy refused as another node's Inventory.
        for (int i = 0; i < 6 && !toVictim.isClosed(); i++) {
            try {
                RawWire.write(toVictim.getOutputStream(), PeerMessage.newBuilder().setGossip(Gossip.newBuilder()
                        .setAnnouncement(makers)).build());
            } catch (SocketException closed) {
                break;
            }
        }

        GossipServiceTest.await(() -> victim.bans(rogue.publicId()), Duration.ofSeconds(60));
        GossipServiceTest.await(() -> victim.repo().has(real), Duration.ofSeconds(60));
        assertThat(victim.scoreOf(maker.id())).as("the maker whose Inventory was replayed pays nothing").isZero();
        assertThat(victim.linkedTo(maker.id())).isTrue();
        assertThat(logged.lines()).as("the ban is in the node's log, with its reason")
                .anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("banned"));
        logged.assertWarningsWithinBudget(started);
    }

    /**
     * An eclipse attempt: proved links from as many addresses as the node has inbound slots, each in
     * a network of its own (127.N.0.1, a /16 each; Linux answers all of 127/8 on loopback), with fresh
     * keys, then more. An honest newcomer from another address still links, unscored.
     */
    @Test
    void roguesFillingEveryInboundSlotFromManyAddressesDoNotKeepAnHonestNewcomerOut() throws Exception {
        LoopbackNet.Started victim = net.start(tmp.resolve("victim"), Identity.generate(), Wants.everything(), null, true);
        logged.watch();
        long started = System.nanoTime();
        int port = victim.gossip().port();
        int filled = 0;
        for (int n = 1; n <= 16; n++) {
            Identity rogue = Identity.generate();
            try {
                link(rogue, "127." + (100 + n) + ".0.1", port, victim.id());
                filled++;
            } catch (IOException refused) {
                // no free slot: turned away at the handshake
            }
        }
        // The last proof may still be on its way to the core when link() returns: wait for the links.
        int handshakes = filled;
        GossipServiceTest.await(() -> LoopbackNet.ask(victim.gossip(), p -> ((GossipCore) p).connectedPeers().size()) > 0,
                Duration.ofSeconds(30));
        int rogues = LoopbackNet.ask(victim.gossip(), p -> ((GossipCore) p).connectedPeers().size());
        assertThat(rogues).as("rogue links held, of " + handshakes + " handshakes").isGreaterThan(0);

        LoopbackNet.Started honest = net.start(tmp.resolve("honest"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> victim.linkedTo(honest.id()) && honest.linkedTo(victim.id()), Duration.ofSeconds(60));

        assertThat(victim.scoreOf(honest.id())).isZero();
        int links = LoopbackNet.ask(victim.gossip(), p -> ((GossipCore) p).connectedPeers().size());
        assertThat(links).as("links within the degree").isLessThanOrEqualTo(GossipConfig.defaults().maxDegree());
        String made = honest.commitAndAnnounce("real");
        GossipServiceTest.await(() -> victim.repo().has(made), Duration.ofSeconds(60));
        logged.assertWarningsWithinBudget(started);
    }

    /** A completed gossip link as {@code id} to the node at {@code port}, kept open (closed after the test). */
    private Socket link(Identity id, int port, PublicId node) throws IOException {
        return link(id, "127.0.0.1", port, node);
    }

    /** As {@link #link(Identity, int, PublicId)}, from the loopback address {@code from}. */
    private Socket link(Identity id, String from, int port, PublicId node) throws IOException {
        Socket s = new Socket("127.0.0.1", port, java.net.InetAddress.getByName(from), 0);
        rogueLinks.add(s);
        s.setSoTimeout(30_000);
        RawWire.write(s.getOutputStream(), hello(id));
        PeerMessage theirs = RawWire.read(s.getInputStream());
        if (theirs == null) {
            throw new SocketException("the node hung up before its hello");
        }
        RawWire.write(s.getOutputStream(), PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(ByteString.copyFrom(
                HandshakeProof.sign(id, theirs.getHello().getNonce().toByteArray(), node)))).build());
        return s;
    }

    private static void announce(Socket link, Identity id, List<String> commits) throws IOException {
        Inventory claims = Inventory.newBuilder().setNode(id.publicId().toByteString()).addAllCommits(commits)
                .setTimeMs(System.currentTimeMillis()).build();
        RawWire.write(link.getOutputStream(), PeerMessage.newBuilder().setGossip(Gossip.newBuilder()
                .setAnnouncement(Envelopes.sign(id, claims))).build());
    }

    /** Reads the link until {@code signer}'s signed Inventory naming {@code commit} passes on it. */
    private static SignedEnvelope inventoryNaming(Socket link, PublicId signer, String commit) throws IOException {
        InputStream in = link.getInputStream();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            PeerMessage m = RawWire.read(in);
            if (m == null) {
                throw new AssertionError("the maker closed the rogue's link before announcing " + commit);
            }
            SignedEnvelope e = m.getGossip().getAnnouncement();
            if (e.getType().endsWith("Inventory") && e.getSigner().equals(signer.toByteString())) {
                try {
                    if (Inventory.parseFrom(e.getPayload()).getCommitsList().contains(commit)) {
                        return e;
                    }
                } catch (InvalidProtocolBufferException notOne) {
                    // not an Inventory after all
                }
            }
        }
        throw new AssertionError("no Inventory naming " + commit + " in 60 s");
    }

    private static List<String> madeUp(int from, int count) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            out.add(String.format("%040x", 0xf10d000000L + i));
        }
        return out;
    }

    private static PeerMessage hello(Identity id) {
        NodeInfo info = NodeInfo.newBuilder().setNode(id.publicId().toByteString()).setHost("127.0.0.1").setPort(1)
                .setTimeMs(System.currentTimeMillis()).build();
        return PeerMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1).setNode(id.publicId().toByteString())
                .setNodeInfo(Envelopes.sign(id, info)).setNonce(ByteString.copyFrom(HandshakeProof.newNonce()))).build();
    }

    /** Reads what the node says until it hangs up (true), or until it stays quiet for 20 s with the connection open (false). */
    private static boolean hangsUp(Socket s) throws IOException {
        s.setSoTimeout(20_000);
        try {
            while (RawWire.read(s.getInputStream()) != null) {
                // what the node says before it hangs up
            }
            return true;
        } catch (SocketTimeoutException kept) {
            return false;
        } catch (SocketException closed) {
            return true;
        }
    }
}
