package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** A scripted remote peer for tests that talk to one core directly. */
final class Peer {
    final Identity identity = Identity.generate();
    final PublicId id = identity.publicId();
    /** Each peer at an address of its own, as distinct nodes are: the core bounds dials and relays per address. */
    final NodeInfo info = NodeInfo.newBuilder().setNode(id.toByteString()).setHost(nextHost()).setPort(7000).build();

    private static final AtomicInteger HOSTS = new AtomicInteger();

    private static String nextHost() {
        int n = HOSTS.getAndIncrement() % (250 * 250);
        return "198.18." + n / 250 + "." + (n % 250 + 1);
    }

    SignedEnvelope hello(long nowMs) {
        return Envelopes.sign(identity, info.toBuilder().setTimeMs(nowMs).build());
    }

    SignedEnvelope inventory(long timeMs, String... commits) {
        return Envelopes.sign(identity, Inventory.newBuilder().setNode(id.toByteString()).addAllCommits(List.of(commits))
                .setTimeMs(timeMs).build());
    }

    SignedEnvelope result(long timeMs, String commit) {
        return Envelopes.sign(identity, Result.newBuilder().setCommit(commit).setRunner(id.toByteString())
                .setTimeMs(timeMs).build());
    }

    /** A new peer whose link to {@code core} is up. */
    static Peer connectedTo(GossipCore core, long nowMs) {
        Peer peer = new Peer();
        assertThat(core.onConnected(peer.id, peer.hello(nowMs), false, nowMs))
                .noneMatch(e -> e instanceof Effect.Disconnect);
        return peer;
    }

    /** This peer tells {@code core} it holds {@code commits}; the core's answer. */
    List<Effect> announces(GossipCore core, long nowMs, String... commits) {
        return core.onMessage(id, announce(inventory(nowMs, commits)), nowMs);
    }

    static Gossip announce(SignedEnvelope envelope) {
        return Gossip.newBuilder().setAnnouncement(envelope).build();
    }

    /** The same envelope with one signature bit flipped. */
    static SignedEnvelope tampered(SignedEnvelope envelope) {
        byte[] signature = envelope.getSignature().toByteArray();
        signature[0] ^= 1;
        return envelope.toBuilder().setSignature(ByteString.copyFrom(signature)).build();
    }

    static String commit(int n) {
        return String.format("%040x", n);
    }
}
