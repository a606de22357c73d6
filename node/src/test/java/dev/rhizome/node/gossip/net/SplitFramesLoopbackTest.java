package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The framing on the wire against a node: an honest handshake whose frames arrive split at every
 * byte (each its own segment) links as a whole one does, and frames declaring lengths past the
 * limit (the largest positive, a negative) are refused at their header, well before any deadline,
 * without holding the node's memory or keeping an honest peer out.
 */
class SplitFramesLoopbackTest extends RogueLoopbackTest {
    private static final PeerConfig PATIENT = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(3),
            Duration.ofSeconds(30));

    private Started startPatient(String name) throws Exception {
        Identity identity = Identity.generate();
        return net.startWith(tmp.resolve(name), identity, honest(1).apply(identity), PATIENT, List::of);
    }

    /** One frame, each byte written and flushed on its own (no Nagle): as many segments as bytes. */
    private static void writeSplit(Socket s, PeerMessage message) throws IOException, InterruptedException {
        byte[] body = message.toByteArray();
        byte[] frame = ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
        OutputStream out = s.getOutputStream();
        for (byte b : frame) {
            out.write(b);
            out.flush();
            Thread.sleep(1);  // its pace: so the node reads most bytes one at a time, not a wait for a condition
        }
    }

    @Test
    void aHandshakeSplitAtEveryByteLinks() throws Exception {
        Started a = startPatient("a");
        Identity split = Identity.generate();
        try (Socket s = new Socket("127.0.0.1", a.gossip().port())) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(30_000);
            SignedEnvelope info = Envelopes.sign(split, NodeInfo.newBuilder().setNode(split.publicId().toByteString())
                    .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
            writeSplit(s, PeerMessage.newBuilder().setHello(hello(split).setNodeInfo(info)).build());
            PeerMessage theirs = RawWire.read(s.getInputStream());
            assertThat(theirs).as("a hello in single bytes is answered").isNotNull();
            writeSplit(s, PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(ByteString.copyFrom(
                    HandshakeProof.sign(split, theirs.getHello().getNonce().toByteArray(), a.identity().publicId())))).build());
            GossipServiceTest.await(() -> linked(a).contains(split.publicId()), Duration.ofSeconds(60));
            assertThat(isClosedByPeer(s)).isFalse();
            assertThat(score(a, split.publicId())).isGreaterThanOrEqualTo(0);
        }
    }

    @Test
    void framesDeclaringHugeLengthsAreRefusedAtTheirHeaderAndAnHonestPeerLinks() throws Exception {
        Started a = startPatient("a");
        long fdsBefore = openFds();
        long turnMs = 2 * PATIENT.connectTimeout().toMillis();
        for (int header : new int[] {Integer.MAX_VALUE, (1 << 20) + 1, -1, Integer.MIN_VALUE}) {
            try (Socket s = new Socket("127.0.0.1", a.gossip().port())) {
                s.setSoTimeout(30_000);
                long sent = System.nanoTime();
                // The header alone, in two pieces, and a few bytes of the body that never comes whole.
                OutputStream out = s.getOutputStream();
                byte[] bytes = ByteBuffer.allocate(4).putInt(header).array();
                out.write(bytes, 0, 2);
                out.flush();
                out.write(bytes, 2, 2);
                out.write(new byte[64]);
                out.flush();
                drainUntilClosed(s);
                assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("a header of %d refused as it is read, not at a deadline", header)
                        .isLessThan(Duration.ofMillis(turnMs));
            }
        }
        GossipServiceTest.await(() -> openFds() <= fdsBefore + 8, Duration.ofSeconds(60));
        Identity honest = Identity.generate();
        try (Socket s = linkAs(honest, a)) {
            GossipServiceTest.await(() -> linked(a).contains(honest.publicId()), Duration.ofSeconds(60));
        }
    }
}
