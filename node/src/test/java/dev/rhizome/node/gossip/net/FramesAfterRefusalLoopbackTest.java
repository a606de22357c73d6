package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.identity.Identity;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A rogue written from the schemas sends, in one write, a proof the node refuses and gossip frames
 * after it. The node closed the link at the proof, but the frames the same read brought were parsed
 * and fed to the handshake already over, which threw (an IllegalStateException at DEBUG, one per
 * frame): the framing layer now drops them unparsed once the channel is closed.
 */
class FramesAfterRefusalLoopbackTest extends LoopbackTest {
    final NodeLog logged = new NodeLog();
    final Logger linkLog = (Logger) LoggerFactory.getLogger(GossipLink.class);
    final Level linkLevel = linkLog.getLevel();

    @AfterEach
    void detach() {
        linkLog.setLevel(linkLevel);
        logged.close();
    }

    @Test
    void framesSentAfterARefusedProofReachNothingButTheFramingLayer() throws Exception {
        LoopbackNet.Started victim = net.start(tmp.resolve("victim"), Identity.generate(), Wants.everything(), null, true);
        linkLog.setLevel(Level.DEBUG);
        logged.watch();

        for (int round = 0; round < 5; round++) {
            Identity rogue = Identity.generate();
            try (Socket s = new Socket("127.0.0.1", victim.gossip().port())) {
                s.setSoTimeout(30_000);
                RawWire.write(s.getOutputStream(), SchemaRoguePassLoopbackTest.gossipHello(rogue, SchemaRoguePassLoopbackTest.info(rogue)));
                assertThat(RawWire.read(s.getInputStream())).as("the node's hello").isNotNull();
                ByteArrayOutputStream oneWrite = new ByteArrayOutputStream();
                RawWire.write(oneWrite, PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder()
                        .setProof(ByteString.copyFrom(new byte[64]))).build());
                for (int i = 0; i < 20; i++) {
                    RawWire.write(oneWrite, PeerMessage.newBuilder().setGossip(Gossip.newBuilder()
                            .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(8))).build());
                }
                s.getOutputStream().write(oneWrite.toByteArray());
                s.getOutputStream().flush();
                assertThat(SchemaRoguePassLoopbackTest.drain(s)).as("the node hangs up on a wrong proof").isTrue();
            } catch (SocketException hungUp) {
                // it hung up while the rogue was still writing
            }
        }

        GossipServiceTest.await(() -> logged.lines().stream().filter(e -> e.getFormattedMessage().contains("refused")).count() >= 5,
                Duration.ofSeconds(30));
        assertThat(logged.lines()).as("lines about frames after the refusal")
                .noneMatch(e -> e.getFormattedMessage().contains("handshake is over")
                        || (e.getThrowableProxy() != null && e.getThrowableProxy().getMessage() != null
                                && e.getThrowableProxy().getMessage().contains("handshake is over")));
    }
}
