package dev.rhizome.node.gossip.net;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.node.gossip.core.SignatureCheck;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.slf4j.LoggerFactory;

/**
 * A rogue peer against real nodes on loopback, beyond what {@link HostilePeersTest} covers: the
 * set-up its test classes share (nodes with short handshake and fetch deadlines, a log capture)
 * and the raw wire a rogue speaks (hellos, proofs, frames written by hand).
 */
abstract class RogueLoopbackTest extends LoopbackTest {
    static final PeerConfig PEER = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(5));

    final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    final ch.qos.logback.classic.Logger nodeLogs = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.rhizome.node");

    @AfterEach
    void detachLog() {
        nodeLogs.detachAppender(logged);
    }

    /** A node named {@code name} under the test's directory, its core made by {@code protocol}, dialling {@code bootstrap} (read at each ask, so a test may add to it). */
    Started start(String name, Function<Identity, Function<NodeInfo, PeerProtocol>> protocol, List<NodeInfo> bootstrap)
            throws Exception {
        Identity identity = Identity.generate();
        return net.startWith(tmp.resolve(name), identity, protocol.apply(identity), PEER, () -> List.copyOf(bootstrap));
    }

    /** Our hello to {@code target} from local address {@code from}, its hello read, then a hang-up: whether its hello came. */
    static boolean helloOnlyFrom(Identity id, Started target, String from) throws IOException {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), target.gossip().port(), InetAddress.getByName(from), 0)) {
            s.setSoTimeout(30_000);
            SignedEnvelope info = Envelopes.sign(id, NodeInfo.newBuilder().setNode(id.publicId().toByteString())
                    .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
            write(s, PeerMessage.newBuilder().setHello(hello(id).setNodeInfo(info)).build());
            PeerMessage theirs = StallingPeer.read(new DataInputStream(s.getInputStream()));
            return theirs != null && theirs.hasHello();
        } catch (EOFException | SocketException closed) {
            return false;
        }
    }

    /** A whole inbound handshake with {@code target} from local address {@code from}; null when closed unanswered (at accept). */
    static Socket handshakeFrom(Identity id, Started target, String from) throws IOException {
        Socket s = new Socket(InetAddress.getByName("127.0.0.1"), target.gossip().port(), InetAddress.getByName(from), 0);
        try {
            s.setSoTimeout(30_000);
            SignedEnvelope info = Envelopes.sign(id, NodeInfo.newBuilder().setNode(id.publicId().toByteString())
                    .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
            write(s, PeerMessage.newBuilder().setHello(hello(id).setNodeInfo(info)).build());
            PeerMessage theirs = StallingPeer.read(new DataInputStream(s.getInputStream()));
            if (theirs == null || !theirs.hasHello()) {
                s.close();
                return null;
            }
            write(s, PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(ByteString.copyFrom(
                    HandshakeProof.sign(id, theirs.getHello().getNonce().toByteArray(),
                            target.identity().publicId())))).build());
            return s;
        } catch (EOFException | SocketException closed) {
            s.close();
            return null;
        }
    }

    /** A raw gossip link to {@code target} as {@code id}: its hello, the node's hello, our proof over its nonce. */
    static Socket linkAs(Identity id, Started target) throws IOException {
        Socket s = new Socket("127.0.0.1", target.gossip().port());
        s.setSoTimeout(10_000);
        SignedEnvelope info = Envelopes.sign(id, NodeInfo.newBuilder().setNode(id.publicId().toByteString())
                .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
        write(s, PeerMessage.newBuilder().setHello(hello(id).setNodeInfo(info)).build());
        PeerMessage theirs = StallingPeer.read(new DataInputStream(s.getInputStream()));
        write(s, PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(ByteString.copyFrom(
                HandshakeProof.sign(id, theirs.getHello().getNonce().toByteArray(),
                        target.identity().publicId())))).build());
        return s;
    }

    /** Whether the other end closed {@code s} (a read would see the end of the stream), without blocking. */
    static boolean isClosedByPeer(Socket s) {
        try {
            s.setSoTimeout(1);
            byte[] skip = new byte[4096];
            while (true) { // what the dialler sent (its hello), then the end of the stream or nothing yet
                if (s.getInputStream().read(skip) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException open) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    static Hello.Builder hello(Identity identity) {
        byte[] nonce = new byte[32];
        new Random().nextBytes(nonce);
        return Hello.newBuilder().setProtocolVersion(1).setNode(identity.publicId().toByteString()).setNonce(ByteString.copyFrom(nonce));
    }

    static void write(Socket s, PeerMessage message) throws IOException {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        byte[] frame = message.toByteArray();
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
    }

    /** Reads whatever the node answers until it closes the connection. */
    static void drainUntilClosed(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        try {
            while (true) {
                byte[] frame = new byte[in.readInt()];
                in.readFully(frame);
            }
        } catch (EOFException | SocketException closed) {
            // closed, as it should be
        }
    }

    /** File descriptors this JVM holds open now (Linux). */
    static long openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Function<Identity, Function<NodeInfo, PeerProtocol>> honest(long seed) {
        GossipConfig d = GossipConfig.defaults();
        GossipConfig config = new GossipConfig(d.degree(), d.maxDegree(), d.maxKnownPeers(), d.seenTtl(), d.maxSeen(),
                d.maxClockSkew(), d.fetchStall(), d.maxCommitsPerInventory(), d.announcementsPerSecond(),
                d.announcementBurst(), d.disconnectScore(), d.banScore(), d.banDuration(), Duration.ofMillis(200),
                Duration.ofSeconds(2));
        return id -> self -> new GossipCore(id, self, config, new Random(seed), SignatureCheck.envelopes());
    }

    static NodeInfo info(Started node) {
        return NodeInfo.newBuilder().setNode(node.identity().publicId().toByteString()).setHost("127.0.0.1")
                .setPort(node.gossip().port()).build();
    }

    static Set<PublicId> linked(Started n) {
        try {
            return n.gossip().linkedPeers();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean banned(Started n, PublicId peer) {
        try {
            return n.gossip().query(p -> p.isBanned(peer, System.currentTimeMillis()));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static dev.rhizome.node.gossip.core.GossipStats stats(Started n) {
        try {
            return n.gossip().query(p -> ((GossipCore) p).stats());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static double score(Started n, PublicId peer) {
        try {
            return n.gossip().query(p -> ((GossipCore) p).score(peer));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static int tableSize(Started n) {
        try {
            return n.gossip().query(p -> ((GossipCore) p).stats().peerTableSize());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
