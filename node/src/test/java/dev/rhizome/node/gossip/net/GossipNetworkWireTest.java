package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.GossipNetwork;
import dev.rhizome.node.gossip.core.SignatureCheck;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gossip bound to its network, over the wire (what {@code GossipNetworkTest} checks on the core):
 * a real node of network {@code net-a} on loopback, a peer speaking version 1 (records naming no
 * network: an older node, or a capture replayed), a peer of network {@code net-b}, and a peer of
 * {@code net-a}. The first two are closed at their hello, again and again, never scored nor
 * banned (an honest node of another network, or an older one, is no liar); the third links, and
 * of what it announces on its link only the records naming {@code net-a} lead to a fetch.
 */
class GossipNetworkWireTest {
    static final PeerConfig PEER = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(5));

    @TempDir
    Path tmp;

    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    final Identity nodeId = Identity.generate();
    NodeRepository repo;
    GossipService node;

    @AfterEach
    void close() throws Exception {
        if (node != null) {
            node.close();
        }
        if (repo != null) {
            repo.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void versionOneAndOtherNetworkPeersAreClosedAtHelloUnscoredWhileAPeerOfTheNetworkLinks() throws Exception {
        startNode("net-a");
        List<BiFunction<Identity, NodeInfo, SignedEnvelope>> strangers = List.of(
                (id, info) -> Envelopes.sign(id, info),              // version 1: no network named
                (id, info) -> Envelopes.sign(id, "net-b", info));    // another network's
        for (BiFunction<Identity, NodeInfo, SignedEnvelope> signer : strangers) {
            Identity stranger = Identity.generate();
            // Back at once, again and again (a reconnect storm): each is closed, none is a ban.
            for (int attempt = 0; attempt < 6; attempt++) {
                try (Socket s = linkAs(stranger, signer, 1)) {
                    assertThat(drainUntilClosed(s)).as("the node hangs up on the stranger's hello").isTrue();
                }
            }
            assertThat(node.linkedPeers()).doesNotContain(stranger.publicId());
            assertThat(score(stranger.publicId())).isZero();
            assertThat(banned(stranger.publicId())).isFalse();
        }

        try (ServerSocket fetchPort = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Identity member = Identity.generate();
            List<String> asked = new CopyOnWriteArrayList<>();
            serveNothing(fetchPort, member, asked);
            try (Socket s = linkAs(member, (id, info) -> Envelopes.sign(id, "net-a", info), fetchPort.getLocalPort())) {
                GossipServiceTest.await(() -> linked(member.publicId()), Duration.ofSeconds(60));
                String v1 = "1".repeat(40);
                String netB = "2".repeat(40);
                String netA = "3".repeat(40);
                announce(s, Envelopes.sign(member, inventory(member, v1)));
                announce(s, Envelopes.sign(member, "net-b", inventory(member, netB)));
                announce(s, Envelopes.sign(member, "net-a", inventory(member, netA)));
                // The core takes a link's messages in order: once the last is fetched, the first two were refused.
                GossipServiceTest.await(() -> asked.contains(netA), Duration.ofSeconds(60));
                assertThat(asked).doesNotContain(v1, netB);
                assertThat(score(member.publicId())).isGreaterThanOrEqualTo(0.0);
                assertThat(banned(member.publicId())).isFalse();
            }
        }
    }

    /**
     * A node's first start: its gossip knows no network until the coordinator's first answer, which
     * also names the peers to dial. The hello of those first dials names the network: they went out
     * in the step that learnt the peers, with the hello signed before, for no network, and every
     * peer of the network refused them ("must upgrade"), the node's dials then backed off.
     */
    @Test
    void aFirstStartNodeDialsItsFirstPeersWithAHelloForTheNetworkItJustLearnt() throws Exception {
        try (ServerSocket peerPort = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Identity peer = Identity.generate();
            NodeInfo peerInfo = NodeInfo.newBuilder().setNode(peer.publicId().toByteString()).setHost("127.0.0.1")
                    .setPort(peerPort.getLocalPort()).build();
            GossipNetwork unknownYet = GossipNetwork.unnamed();
            CountDownLatch asked = new CountDownLatch(1);
            startNode(unknownYet, () -> {
                try {
                    // the node is up and signed its hello for no network before its coordinator answers
                    asked.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                unknownYet.learn("net-a");
                return List.of(peerInfo);
            });
            assertThat(node.query(p -> p.signedSelfInfo(System.currentTimeMillis())).getVersion())
                    .isEqualTo(Envelopes.VERSION_1);
            asked.countDown();

            peerPort.setSoTimeout(60_000);
            try (Socket dialled = peerPort.accept()) {
                dialled.setSoTimeout(60_000);
                PeerMessage first = RawWire.read(dialled.getInputStream());
                assertThat(first).isNotNull();
                assertThat(first.hasHello()).as("the dialler says hello first").isTrue();
                SignedEnvelope info = first.getHello().getNodeInfo();
                assertThat(info.getVersion()).as("signed for a network").isEqualTo(Envelopes.VERSION);
                assertThat(info.getNetwork()).isEqualTo("net-a");
            }
        }
    }

    private void startNode(String network) throws Exception {
        startNode(GossipNetwork.of(network), List::of);
    }

    private void startNode(GossipNetwork network, Supplier<List<NodeInfo>> bootstrap) throws Exception {
        repo = NodeRepository.open(tmp.resolve("repo.git"));
        GossipSettings settings = GossipSettings.defaults("127.0.0.1", 0, "cpu", null).withPeer(PEER).withTick(Duration.ofMillis(100));
        node = GossipService.start(repo, nodeId, settings, self -> new GossipCore(nodeId, self, GossipConfig.defaults(),
                new Random(5), SignatureCheck.envelopes(), Wants.everything(), network), bootstrap,
                new TransferLog(tmp.resolve("transfers.jsonl")), group);
    }

    /** A raw gossip link as {@code id}, its NodeInfo signed by {@code signer} and naming {@code port}. */
    private Socket linkAs(Identity id, BiFunction<Identity, NodeInfo, SignedEnvelope> signer, int port) throws IOException {
        Socket s = new Socket("127.0.0.1", node.port());
        s.setSoTimeout(60_000);
        SignedEnvelope info = signer.apply(id, NodeInfo.newBuilder().setNode(id.publicId().toByteString())
                .setHost("127.0.0.1").setPort(port).setTimeMs(System.currentTimeMillis()).build());
        byte[] nonce = new byte[32];
        new Random().nextBytes(nonce);
        RawWire.write(s.getOutputStream(), PeerMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)
                .setNode(id.publicId().toByteString()).setNonce(ByteString.copyFrom(nonce)).setNodeInfo(info)).build());
        PeerMessage theirs = RawWire.read(s.getInputStream());
        if (theirs != null && theirs.hasHello()) {
            RawWire.write(s.getOutputStream(), PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(
                    ByteString.copyFrom(HandshakeProof.sign(id, theirs.getHello().getNonce().toByteArray(),
                            nodeId.publicId())))).build());
        }
        return s;
    }

    private static Inventory inventory(Identity id, String commit) {
        return Inventory.newBuilder().setNode(id.publicId().toByteString()).addCommits(commit)
                .setTimeMs(System.currentTimeMillis()).build();
    }

    private static void announce(Socket s, SignedEnvelope envelope) throws IOException {
        RawWire.write(s.getOutputStream(), PeerMessage.newBuilder().setGossip(Gossip.newBuilder().setAnnouncement(envelope)).build());
    }

    /** Answers each fetch as {@code id} with its key proved, notes the commit asked for, and hangs up. */
    private static void serveNothing(ServerSocket port, Identity id, List<String> asked) {
        Thread thread = new Thread(() -> {
            while (!port.isClosed()) {
                try (Socket client = port.accept()) {
                    client.setSoTimeout(30_000);
                    InputStream in = client.getInputStream();
                    RawWire.answerFetch(RawWire.read(in), in, client.getOutputStream(), id);
                    PeerMessage request = RawWire.read(in);
                    if (request != null && request.hasBundleRequest()) {
                        asked.add(request.getBundleRequest().getCommit());
                    }
                } catch (IOException | RuntimeException e) {
                    // closed at the end, or a fetch we do not finish
                }
            }
        }, "fetch-port");
        thread.setDaemon(true);
        thread.start();
    }

    /** Reads until the node closes {@code s}: true when it did (a read timeout fails the test instead). */
    private static boolean drainUntilClosed(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        try {
            while (RawWire.read(in) != null) {
                // its hello, perhaps an error
            }
        } catch (java.net.SocketException reset) {
            // closed with a reset
        }
        return true;
    }

    private boolean linked(PublicId peer) {
        try {
            return node.linkedPeers().contains(peer);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private double score(PublicId peer) throws InterruptedException {
        return node.query(p -> ((GossipCore) p).score(peer));
    }

    private boolean banned(PublicId peer) throws InterruptedException {
        return node.query(p -> p.isBanned(peer, System.currentTimeMillis()));
    }
}
