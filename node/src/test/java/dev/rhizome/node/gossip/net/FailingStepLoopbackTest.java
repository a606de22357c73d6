package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.google.protobuf.Message;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.SignatureCheck;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A well-framed message the core did not expect, whose step throws, sent again and again by a rogue
 * written from the schemas: each costs its sender as a malformed message does, so it loses its link
 * after a few, where it was only logged and the rogue could repeat it for ever. The throw is made
 * here by the signature check (the core's own seam) for the rogue's inventories: which message
 * throws next is not known, that some may is.
 */
class FailingStepLoopbackTest extends LoopbackTest {
    final NodeLog logged = new NodeLog();

    @AfterEach
    void detach() {
        logged.close();
    }

    @Test
    void aRogueRepeatingAMessageWhoseStepThrowsIsScoredForEachAndLosesItsLink() throws Exception {
        Identity rogue = Identity.generate();
        SignatureCheck throwsOnTheRoguesInventories = new SignatureCheck() {
            @Override
            public <T extends Message> Verified<T> open(SignedEnvelope envelope, T prototype) throws SignatureException {
                if (prototype instanceof Inventory && envelope.getSigner().equals(rogue.publicId().toByteString())) {
                    throw new IllegalStateException("a case the core did not expect");
                }
                return Envelopes.open(envelope, prototype);
            }
        };
        LoopbackNet.Started honest = net.start(tmp.resolve("honest"), Identity.generate(), Wants.everything(), null, true);
        Identity victimId = Identity.generate();
        LoopbackNet.Started victim = net.startWith(tmp.resolve("victim"), victimId,
                self -> new GossipCore(victimId, self, GossipConfig.defaults(), new SecureRandom(), throwsOnTheRoguesInventories,
                        Wants.everything()), null, () -> List.copyOf(net.directory));
        GossipServiceTest.await(() -> victim.linkedTo(honest.id()) && honest.linkedTo(victim.id()), Duration.ofSeconds(60));
        logged.watch();
        long started = System.nanoTime();

        try (Socket s = new Socket("127.0.0.1", victim.gossip().port())) {
            s.setSoTimeout(30_000);
            RawWire.write(s.getOutputStream(), SchemaRoguePassLoopbackTest.gossipHello(rogue, SchemaRoguePassLoopbackTest.info(rogue)));
            RawWire.write(s.getOutputStream(), SchemaRoguePassLoopbackTest.proof(rogue, s.getInputStream(), victim.id()));
            PublicId rogueId = rogue.publicId();
            GossipServiceTest.await(() -> victim.linkedTo(rogueId), Duration.ofSeconds(30));

            announce(s, rogue, 0);
            GossipServiceTest.await(() -> victim.scoreOf(rogueId) <= -8, Duration.ofSeconds(30));
            for (int i = 1; i < 8; i++) {
                announce(s, rogue, i);
            }
            assertThat(SchemaRoguePassLoopbackTest.drain(s)).as("the node hangs up on the rogue").isTrue();
            assertThat(victim.linkedTo(rogueId)).isFalse();
            assertThat(victim.scoreOf(rogueId)).as("its score").isNegative();
        } catch (SocketException hungUp) {
            // the node closed the link while the rogue was still sending: what is asserted below
        }
        assertThat(victim.linkedTo(rogue.publicId())).as("the rogue's link").isFalse();
        assertThat(victim.linkedTo(honest.id())).as("the honest link").isTrue();
        assertThat(victim.scoreOf(honest.id())).isZero();
        assertThat(logged.lines()).as("each failure is logged at ERROR, naming the sender")
                .anyMatch(e -> e.getLevel() == Level.ERROR && e.getFormattedMessage().contains(rogue.publicId().shortForm()));
        logged.assertWarningsWithinBudget(started);
    }

    private static void announce(Socket s, Identity rogue, int i) throws IOException {
        Inventory claims = Inventory.newBuilder().setNode(rogue.publicId().toByteString())
                .addCommits(String.format("%040x", 0xbad0000L + i)).setTimeMs(System.currentTimeMillis()).build();
        RawWire.write(s.getOutputStream(), PeerMessage.newBuilder().setGossip(Gossip.newBuilder()
                .setAnnouncement(Envelopes.sign(rogue, claims))).build());
    }
}
