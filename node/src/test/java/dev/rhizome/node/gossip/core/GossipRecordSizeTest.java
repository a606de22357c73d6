package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.ResultSeen;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchange;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.frame.FrameCodec;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Signed records padded to near the frame limit (a signature covers any length): a rogue's NodeInfo
 * must not be kept, persisted or handed on, nor its Result relayed. Without the bounds, 32 padded
 * NodeInfos in the table made this node's peer-exchange answer larger than a frame, and the honest
 * peer that asked for it then banned this node as a sender of oversized frames.
 */
class GossipRecordSizeTest {
    static final String PADDING = "x".repeat(60_000);
    final GossipConfig config = GossipConfig.defaults();
    final GossipCore core = new GossipCore(Identity.generate(),
            NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), config, new Random(1), SignatureCheck.envelopes());
    long now = 10_000_000;

    /** A peer whose signed NodeInfo carries 60 KB of padding in its hardware class. */
    static SignedEnvelope padded(Peer peer, long nowMs) {
        return Envelopes.sign(peer.identity, peer.info.toBuilder().setHardwareClass(PADDING).setTimeMs(nowMs).build());
    }

    @Test
    void paddedNodeInfoAnnouncementsAreRefusedSoAPeerExchangeAnswerStaysWellInsideAFrame() {
        Peer rogue = Peer.connectedTo(core, now);
        int known = core.stats().peerTableSize();
        for (int i = 0; i < 40; i++) {
            core.onMessage(rogue.id, Peer.announce(padded(new Peer(), now)), now);
        }
        assertThat(core.stats().peerTableSize()).as("padded NodeInfos kept").isLessThanOrEqualTo(known);
        assertThat(core.isBanned(rogue.id, now)).isTrue();

        Peer honest = Peer.connectedTo(core, now);
        List<Effect> answer = core.onMessage(honest.id,
                Gossip.newBuilder().setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(32)).build(), now);
        Send exchange = only(answer, Send.class).get(0);
        int frame = PeerMessage.newBuilder().setGossip(exchange.message()).build().getSerializedSize();
        assertThat(frame).isLessThan(64 * 1024).isLessThan(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
    }

    @Test
    void announcementsOfUnknownTypeOrPastTheirSizeAreDroppedBeforeTheSeenCacheDigestsTheirBytes() {
        Peer rogue = Peer.connectedTo(core, now);
        long seen = core.stats().seenCacheSize();
        SignedEnvelope unknown = SignedEnvelope.newBuilder().setVersion(1).setType("rhizome.v9.Novelty")
                .setPayload(com.google.protobuf.ByteString.copyFrom(new byte[900_000])).build();
        for (int i = 0; i < 3; i++) {
            core.onMessage(rogue.id, Peer.announce(unknown.toBuilder().setSignature(
                    com.google.protobuf.ByteString.copyFromUtf8("copy " + i)).build()), now);
        }
        assertThat(core.score(rogue.id)).as("a newer peer's type: dropped free").isEqualTo(0.0);
        core.onMessage(rogue.id, Peer.announce(padded(new Peer(), now)), now);
        assertThat(core.stats().seenCacheSize()).as("digests taken by the seen cache").isEqualTo(seen);
        assertThat(core.score(rogue.id)).as("the padded NodeInfo is still malformed").isNegative();
    }

    @Test
    void aPaddedNodeInfoInAHelloOrAPeerExchangeIsRefused() {
        Peer fat = new Peer();
        List<Effect> hello = core.onConnected(fat.id, padded(fat, now), false, now);
        assertThat(only(hello, Disconnect.class)).hasSize(1);
        assertThat(core.stats().peerTableSize()).isZero();

        Peer peer = new Peer();
        core.onConnected(peer.id, peer.hello(now), true, now); // asks it for peers
        core.onMessage(peer.id, Gossip.newBuilder().setPeerExchange(PeerExchange.newBuilder()
                .addNodes(padded(new Peer(), now))).build(), now);
        assertThat(core.stats().peerTableSize()).isEqualTo(1);
        assertThat(core.score(peer.id)).isNegative();
    }

    @Test
    void theHandshakeRefusesAPaddedHello() {
        Peer a = new Peer();
        Peer b = new Peer();
        byte[] nonce = new byte[HandshakeProof.NONCE_BYTES];
        PeerMessage fatHello = LinkHandshake.dial(a.identity, b.id, padded(a, now), nonce).open().send().get(0);
        LinkHandshake.Step step = LinkHandshake.accept(b.identity, b.hello(now), nonce.clone()).receive(fatHello, now);
        assertThat(step.state()).isEqualTo(LinkHandshake.State.REFUSED);
        assertThat(step.refusal()).contains("bytes, at most");
    }

    @Test
    void aPaddedResultIsNeitherRelayedNorReported() {
        Peer runner = Peer.connectedTo(core, now);
        Peer.connectedTo(core, now);
        Peer.connectedTo(core, now);
        SignedEnvelope result = Envelopes.sign(runner.identity, Result.newBuilder().setCommit(Peer.commit(1))
                .setRunner(runner.id.toByteString()).setMetricName(PADDING).setTimeMs(now).build());

        List<Effect> effects = core.onMessage(runner.id, Peer.announce(result), now);

        assertThat(only(effects, ResultSeen.class)).isEmpty();
        assertThat(only(effects, Send.class)).isEmpty();
        assertThat(core.score(runner.id)).isNegative();
        // An honest one still goes through.
        List<Effect> honest = core.onMessage(runner.id, Peer.announce(runner.result(now, Peer.commit(2))), now);
        assertThat(only(honest, ResultSeen.class)).hasSize(1);
    }
}
