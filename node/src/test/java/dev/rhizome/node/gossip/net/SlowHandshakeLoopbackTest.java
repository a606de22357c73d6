package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The handshake's time over the wire ({@code peer.HandshakeClock}): a peer slow at each of its
 * turns, as on a loaded machine, links both ways, where one deadline of the connect timeout for the
 * whole handshake cut it; a peer that never proves its key, or keeps talking without proving it,
 * is still cut at its first silent turn. The nodes give themselves 3 s to connect: 6 s a turn, 18 s
 * in all. The pauses below are the slow peer's pace (what the test plays), not waits for a condition.
 */
class SlowHandshakeLoopbackTest extends RogueLoopbackTest {
    private static final PeerConfig SLOW_PEERS = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(3),
            Duration.ofSeconds(30));  // an idle rule far off: only the handshake's time may cut anyone here
    /**
     * Half a turn (6 s), so a loaded machine's delays around each pause have as long again; the two
     * pauses, 6 s, are twice the whole handshake's old deadline (3 s). At 3.5 s each, the slack was
     * 2.5 s a turn for the test's thread to wake, sign and send and the node's to read.
     */
    private static final long PAUSE_MS = SLOW_PEERS.connectTimeout().toMillis();

    private Started startSlow(String name, List<NodeInfo> bootstrap) throws Exception {
        Identity identity = Identity.generate();
        return net.startWith(tmp.resolve(name), identity, honest(1).apply(identity), SLOW_PEERS, () -> List.copyOf(bootstrap));
    }

    private static PeerMessage helloOf(Identity id, int port) {
        SignedEnvelope info = Envelopes.sign(id, NodeInfo.newBuilder().setNode(id.publicId().toByteString())
                .setHost("127.0.0.1").setPort(port).setTimeMs(System.currentTimeMillis()).build());
        return PeerMessage.newBuilder().setHello(hello(id).setNodeInfo(info)).build();
    }

    @Test
    void aPeerSlowAtEachOfItsTurnsLinksInboundAndIsNotPenalised() throws Exception {
        Started a = startSlow("a", List.of());
        Identity slow = Identity.generate();
        try (Socket s = new Socket("127.0.0.1", a.gossip().port())) {
            s.setSoTimeout(30_000);
            Thread.sleep(PAUSE_MS);  // its hello, late
            write(s, helloOf(slow, 1));
            PeerMessage theirs = RawWire.read(s.getInputStream());
            assertThat(theirs).as("the node answers a hello that came past the old deadline").isNotNull();
            assertThat(theirs.hasHello()).isTrue();
            Thread.sleep(PAUSE_MS);  // its proof, late again: 6 s in all
            write(s, PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(ByteString.copyFrom(
                    HandshakeProof.sign(slow, theirs.getHello().getNonce().toByteArray(), a.identity().publicId())))).build());
            GossipServiceTest.await(() -> linked(a).contains(slow.publicId()), Duration.ofSeconds(60));
            assertThat(isClosedByPeer(s)).isFalse();
            assertThat(score(a, slow.publicId())).as("slowness is no offence").isGreaterThanOrEqualTo(0);
        }
    }

    @Test
    void aPeerSlowToAnswerOurHelloLinksOutbound() throws Exception {
        Identity slow = Identity.generate();
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            Thread answering = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        synchronized (accepted) {
                            accepted.add(s);
                        }
                        PeerMessage dialler = RawWire.read(s.getInputStream());
                        Thread.sleep(PAUSE_MS);  // a loaded acceptor: its hello and proof come late
                        PeerMessage ours = helloOf(slow, port);
                        write(s, ours.toBuilder().setHello(ours.getHello().toBuilder().setProof(ByteString.copyFrom(
                                HandshakeProof.sign(slow, dialler.getHello().getNonce().toByteArray(),
                                        PublicId.of(dialler.getHello().getNode()))))).build());
                        // then reads the dialler's proof and whatever follows on its own thread
                        Thread reader = new Thread(() -> {
                            try {
                                while (RawWire.read(s.getInputStream()) != null) {
                                    // a quiet, honest peer
                                }
                            } catch (IOException closed) {
                                // the test is over
                            }
                        });
                        reader.setDaemon(true);
                        reader.start();
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            }, "slow-acceptor");
            answering.setDaemon(true);
            answering.start();

            NodeInfo slowInfo = NodeInfo.newBuilder().setNode(slow.publicId().toByteString()).setHost("127.0.0.1")
                    .setPort(port).build();
            Started a = startSlow("a", List.of(slowInfo));
            GossipServiceTest.await(() -> linked(a).contains(slow.publicId()), Duration.ofSeconds(60));
            assertThat(score(a, slow.publicId())).as("slowness is no offence").isGreaterThanOrEqualTo(0);
        } finally {
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aPeerThatNeverProvesItsKeyIsCutAtItsTurnAndOneThatKeepsTalkingIsToo() throws Exception {
        Started a = startSlow("a", List.of());
        long turnMs = 2 * SLOW_PEERS.connectTimeout().toMillis();
        long capMs = 6 * SLOW_PEERS.connectTimeout().toMillis();
        // A newer version's kind of message: skipped in a handshake, not its proof; it must not buy time.
        PeerMessage newerKind = PeerMessage.newBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
                .addField(999, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8("later")).build())
                .build()).build();
        try (Socket silent = new Socket("127.0.0.1", a.gossip().port());
             Socket talker = new Socket("127.0.0.1", a.gossip().port())) {
            silent.setSoTimeout(60_000);
            talker.setSoTimeout(60_000);
            // Timed from before the hellos: the node's answer, which starts their turn, cannot come
            // sooner. Timed from reading it, a read late by a second on a loaded machine made a cut
            // exactly at the turn look early.
            long asked = System.nanoTime();
            write(silent, helloOf(Identity.generate(), 1));
            write(talker, helloOf(Identity.generate(), 1));
            assertThat(RawWire.read(silent.getInputStream()).hasHello()).isTrue();
            assertThat(RawWire.read(talker.getInputStream()).hasHello()).isTrue();
            Thread talking = new Thread(() -> {
                try {
                    while (true) {
                        write(talker, newerKind);
                        Thread.sleep(500);  // its pace: a message every half second, never the proof
                    }
                } catch (IOException | InterruptedException closed) {
                    // cut, as it should be
                }
            }, "talker");
            talking.setDaemon(true);
            talking.start();

            assertThat(RawWire.read(silent.getInputStream())).as("closed without a word").isNull();
            assertThat(RawWire.read(talker.getInputStream())).as("closed without a word").isNull();
            Duration took = Duration.ofNanos(System.nanoTime() - asked);
            assertThat(took).as("cut at its turn, not before").isGreaterThanOrEqualTo(Duration.ofMillis(turnMs - 1_000));
            assertThat(took).as("messages that are not its proof do not stretch its turn to the cap")
                    .isLessThan(Duration.ofMillis(capMs));
            talking.interrupt();
        }
        assertThat(linked(a)).isEmpty();
    }
}
