package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.DataInputStream;
import java.io.EOFException;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A banned rogue coming back, under its key or under fresh ones from one address: it costs at
 * most one handshake a span, or fewer forgeries per key, while an honest address mate still links.
 */
class ReturningRogueLoopbackTest extends RogueLoopbackTest {
    @Test
    void aBannedPeerReconnectingIsClosedAtAcceptWithoutAHandshakeForAWhileAndItsAddressMatesThenLink() throws Exception {
        Started rogue = start("rogue", id -> self -> HostileProtocols.forger(id, self, Identity.generate().publicId()), List.of());
        Started a = start("a", honest(1), List.of(info(rogue)));
        PublicId rogueId = rogue.identity().publicId();
        GossipServiceTest.await(() -> banned(a, rogueId), Duration.ofSeconds(60));

        // The rogue reconnects in a loop with valid hellos: before, A answered each with its own
        // hello (a signature over the rogue's nonce, after verifying the rogue's NodeInfo) and cut
        // it only once the handshake was done; now, once it came back, its address is closed at
        // accept, nothing read.
        int answered = 0;
        for (int i = 0; i < 20; i++) {
            try (Socket s = new Socket("127.0.0.1", a.gossip().port())) {
                s.setSoTimeout(10_000);
                SignedEnvelope info = Envelopes.sign(rogue.identity(), NodeInfo.newBuilder().setNode(rogueId.toByteString())
                        .setHost("127.0.0.1").setPort(rogue.gossip().port()).setTimeMs(System.currentTimeMillis()).build());
                try {
                    write(s, PeerMessage.newBuilder().setHello(hello(rogue.identity()).setNodeInfo(info)).build());
                    PeerMessage theirs = StallingPeer.read(new DataInputStream(s.getInputStream()));
                    if (theirs != null) {
                        answered++;
                        // The whole handshake, as a looping rogue does: then the core cuts it again.
                        write(s, PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder()
                                .setProof(ByteString.copyFrom(HandshakeProof.sign(rogue.identity(),
                                        theirs.getHello().getNonce().toByteArray(), a.identity().publicId())))).build());
                        drainUntilClosed(s);
                    }
                } catch (EOFException | SocketException closed) {
                    // closed at accept
                }
            }
        }
        // The first return costs one handshake, after which the core shuns the address for a span.
        assertThat(answered).as("handshakes answered to a banned peer looping").isLessThanOrEqualTo(1);

        // Nodes behind one NAT share the address (here, loopback): time-limited, so an honest one links after the span.
        Started b = start("b", honest(2), List.of(info(a)));
        GossipServiceTest.await(() -> linked(b).contains(a.identity().publicId()), Duration.ofSeconds(30));
    }

    @Test
    void aBannedRogueBackAtOnceUnderFreshKeysPaysMorePerKeyWhileAnHonestAddressMateStillLinks() throws Exception {
        Started a = start("a", honest(1), List.of());
        // Each key a rogue makes costs it nothing: banned, it came back at once under another and
        // forged 4 more signatures (each an Ed25519 check, or 2 wrong bundles, each a whole fetch)
        // before the next ban. Now the bans from its address weigh on the next key's offences.
        List<Integer> forgeriesPerKey = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            Identity fresh = Identity.generate();
            try (Socket s = linkAs(fresh, a)) {
                GossipServiceTest.await(() -> linked(a).contains(fresh.publicId()), Duration.ofSeconds(60));
                int forged = 0;
                while (!banned(a, fresh.publicId()) && forged < 10) {
                    SignedEnvelope info = Envelopes.sign(fresh, NodeInfo.newBuilder().setNode(fresh.publicId().toByteString())
                            .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis() + forged).build());
                    byte[] signature = info.getSignature().toByteArray();
                    signature[0] ^= 1;
                    write(s, PeerMessage.newBuilder().setGossip(Gossip.newBuilder().setAnnouncement(
                            info.toBuilder().setSignature(ByteString.copyFrom(signature)))).build());
                    forged++;
                    int sent = forged;
                    GossipServiceTest.await(() -> banned(a, fresh.publicId()) || stats(a).invalid() >= totalForged(forgeriesPerKey) + sent,
                            Duration.ofSeconds(30));
                }
                forgeriesPerKey.add(forged);
            }
        }
        assertThat(forgeriesPerKey.get(0)).as("the first key, from an address with no bans").isEqualTo(4);
        assertThat(forgeriesPerKey.get(1)).as("the second key").isEqualTo(2);
        assertThat(forgeriesPerKey.subList(4, 6)).as("keys after 4 bans from the address: cut at their first forgery")
                .containsOnly(1);

        // An honest node at the same address (a NAT's neighbour; here all of loopback) links and keeps its
        // link, its score untouched: nothing is refused or lowered for its address, only offences cost more.
        Started b = start("b", honest(2), List.of(info(a)));
        PublicId bId = b.identity().publicId();
        GossipServiceTest.await(() -> linked(a).contains(bId) && linked(b).contains(a.identity().publicId()), Duration.ofSeconds(60));
        assertThat(banned(a, bId)).isFalse();
        assertThat(score(a, bId)).isEqualTo(0.0);
    }

    private static int totalForged(List<Integer> perKey) {
        return perKey.stream().mapToInt(Integer::intValue).sum();
    }
}
