package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An eclipse by inbound links, on the wire: rogues written from the schemas dial a real node from
 * as many networks as it has inbound slots (127.N.0.1, a /16 each: Linux answers all of 127/8) and
 * hold them. The node must still keep links to peers it chose, from the coordinator's list and from
 * its peers file, in slots of its own that inbound links never fill. The honest nodes here never
 * learn the node's address from the coordinator, so each link to them is one the node dialled.
 */
class InboundEclipseLoopbackTest extends LoopbackTest {
    final List<Socket> rogueLinks = new ArrayList<>();

    @AfterEach
    void closeRogues() throws IOException {
        for (Socket s : rogueLinks) {
            s.close();
        }
    }

    @Test
    void aNodeWhoseInboundSlotsRoguesFillStillDialsPeersTheCoordinatorListsLater() throws Exception {
        // Started when the coordinator knew no one, and not listed, so no honest node dials it.
        LoopbackNet.Started victim = net.start(tmp.resolve("victim"), Identity.generate(), Wants.everything(), null, false);
        int rogues = fillInboundSlots(victim);
        assertThat(rogues).as("rogue links held").isEqualTo(maxInbound());

        // Honest nodes come up and register; before, the node (nine links, none its own) never asked again.
        List<LoopbackNet.Started> honest = new ArrayList<>();
        for (int i = 0; i < quota(); i++) {
            honest.add(net.start(tmp.resolve("honest" + i), Identity.generate(), Wants.everything(), null, true));
        }
        PublicId[] ids = honest.stream().map(LoopbackNet.Started::id).toArray(PublicId[]::new);
        GossipServiceTest.await(() -> victim.linkedTo(ids), Duration.ofSeconds(120));

        assertThat(links(victim)).as("links within the bound").isLessThanOrEqualTo(GossipConfig.defaults().maxDegree());
        String made = honest.get(0).commitAndAnnounce("real");
        GossipServiceTest.await(() -> victim.repo().has(made), Duration.ofSeconds(60));
        for (PublicId id : ids) {
            assertThat(victim.scoreOf(id)).isZero();
        }
    }

    @Test
    void aNodeKeepsTheLinksItDialledFromItsPeersFileWhenInboundRoguesFillTheRest() throws Exception {
        // Honest nodes no one lists; the node knows them only from its peers file, as after a restart.
        List<LoopbackNet.Started> honest = new ArrayList<>();
        for (int i = 0; i < quota(); i++) {
            honest.add(net.start(tmp.resolve("honest" + i), Identity.generate(), Wants.everything(), null, false));
        }
        List<dev.rhizome.proto.v1.SignedEnvelope> remembered = new ArrayList<>();
        for (LoopbackNet.Started h : honest) {
            remembered.add(Envelopes.sign(h.identity(), NodeInfo.newBuilder().setNode(h.id().toByteString())
                    .setHost("127.0.0.1").setPort(h.gossip().port()).setTimeMs(System.currentTimeMillis()).build()));
        }
        java.nio.file.Files.createDirectories(tmp.resolve("victim"));
        PeersFile.save(tmp.resolve("victim").resolve("peers.bin"), remembered);
        LoopbackNet.Started victim = net.start(tmp.resolve("victim"), Identity.generate(), Wants.everything(), null, false);
        PublicId[] ids = honest.stream().map(LoopbackNet.Started::id).toArray(PublicId[]::new);
        GossipServiceTest.await(() -> victim.linkedTo(ids), Duration.ofSeconds(60));

        int rogues = fillInboundSlots(victim);
        assertThat(rogues).as("rogue links held beside the node's own").isEqualTo(maxInbound());
        assertThat(victim.linkedTo(ids)).as("the links it dialled survive the flood of inbound ones").isTrue();
        assertThat(links(victim)).isEqualTo(GossipConfig.defaults().maxDegree());
        String made = honest.get(1).commitAndAnnounce("real");
        GossipServiceTest.await(() -> victim.repo().has(made), Duration.ofSeconds(60));
    }

    private static int maxInbound() {
        GossipConfig c = GossipConfig.defaults();
        return c.maxDegree() - Math.max(1, c.degree() / 2);
    }

    private static int quota() {
        return Math.max(1, GossipConfig.defaults().degree() / 2);
    }

    private static int links(LoopbackNet.Started n) {
        return LoopbackNet.ask(n.gossip(), p -> ((GossipCore) p).connectedPeers().size());
    }

    /**
     * Proved links from 16 addresses, each a network of its own, with fresh keys; returns how many
     * the node holds after (those past its inbound slots are turned away at the handshake).
     */
    private int fillInboundSlots(LoopbackNet.Started victim) throws Exception {
        List<PublicId> held = new ArrayList<>();
        for (int n = 1; n <= 16; n++) {
            Identity rogue = Identity.generate();
            try {
                link(rogue, "127." + (100 + n) + ".0.1", victim.gossip().port(), victim.id());
                held.add(rogue.publicId());
            } catch (IOException refused) {
                // no free slot: turned away at the handshake
            }
        }
        // A link the node turns away after the proof closes a moment later: count what it holds.
        GossipServiceTest.await(() -> LoopbackNet.ask(victim.gossip(),
                p -> (int) held.stream().filter(((GossipCore) p).connectedPeers()::contains).count()) <= maxInbound(),
                Duration.ofSeconds(30));
        return LoopbackNet.ask(victim.gossip(), p -> (int) held.stream().filter(((GossipCore) p).connectedPeers()::contains).count());
    }

    private void link(Identity id, String from, int port, PublicId node) throws IOException {
        Socket s = new Socket("127.0.0.1", port, InetAddress.getByName(from), 0);
        rogueLinks.add(s);
        s.setSoTimeout(30_000);
        NodeInfo info = NodeInfo.newBuilder().setNode(id.publicId().toByteString()).setHost(from).setPort(1)
                .setTimeMs(System.currentTimeMillis()).build();
        RawWire.write(s.getOutputStream(), PeerMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)
                .setNode(id.publicId().toByteString()).setNodeInfo(Envelopes.sign(id, info))
                .setNonce(ByteString.copyFrom(HandshakeProof.newNonce()))).build());
        PeerMessage theirs = RawWire.read(s.getInputStream());
        if (theirs == null) {
            throw new SocketException("the node hung up before its hello");
        }
        RawWire.write(s.getOutputStream(), PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(ByteString.copyFrom(
                HandshakeProof.sign(id, theirs.getHello().getNonce().toByteArray(), node)))).build());
    }
}
