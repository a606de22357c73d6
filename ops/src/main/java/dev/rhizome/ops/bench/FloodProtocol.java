package dev.rhizome.ops.bench;

import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The naive baseline the benchmark measures gossip against: a node that comes to hold a bundle
 * tells every neighbour, and a node told fetches from every teller, whether or not it already has
 * the bundle or is fetching it. No de-duplication, no scoring, no peer exchange.
 */
final class FloodProtocol implements PeerProtocol {
    private final Identity identity;
    private final NodeInfo self;
    private final Set<PublicId> neighbours = new LinkedHashSet<>();
    private final Set<String> held = new LinkedHashSet<>();

    FloodProtocol(Identity identity, NodeInfo self) {
        this.identity = identity;
        this.self = self;
    }

    @Override
    public SignedEnvelope signedSelfInfo(long nowMs) {
        return Envelopes.sign(identity, self.toBuilder().setTimeMs(nowMs).build());
    }

    @Override
    public List<Effect> start(List<NodeInfo> bootstrap, long nowMs) {
        List<Effect> out = new ArrayList<>(learn(bootstrap, nowMs));
        out.add(new Effect.FindPeers());
        return out;
    }

    @Override
    public List<Effect> learn(List<NodeInfo> peers, long nowMs) {
        List<Effect> out = new ArrayList<>();
        for (NodeInfo peer : peers) {
            if (!neighbours.contains(PublicId.of(peer.getNode()))) {
                out.add(new Effect.Dial(peer, PeerAddress.Reach.LOOPBACK)); // the bench's own peers: trusted as configured
            }
        }
        return out;
    }

    @Override
    public List<Effect> onConnected(PublicId peer, SignedEnvelope peerInfo, boolean outbound, long nowMs) {
        neighbours.add(peer);
        return held.isEmpty() ? List.of() : List.of(new Effect.Send(peer, inventory(List.copyOf(held), nowMs)));
    }

    @Override
    public List<Effect> onDialFailed(PublicId peer, long nowMs) {
        return List.of();
    }

    @Override
    public List<Effect> onDisconnected(PublicId peer, long nowMs) {
        neighbours.remove(peer);
        return List.of();
    }

    @Override
    public List<Effect> onMessage(PublicId from, Gossip message, long nowMs) {
        List<Effect> out = new ArrayList<>();
        if (message.hasAnnouncement()) {
            try {
                Inventory inventory = Envelopes.open(message.getAnnouncement(), Inventory.getDefaultInstance()).record();
                inventory.getCommitsList().forEach(commit -> out.add(new Effect.Fetch(from, commit)));
            } catch (SignatureException e) {
                // a baseline has no penalties; the message is simply ignored
            }
        }
        return out;
    }



    @Override
    public List<Effect> onFetched(PublicId from, String commit, long bytes, long nowMs) {
        return onLocalCommit(commit, nowMs);
    }



    @Override
    public List<Effect> onLocalCommit(String commit, long nowMs) {
        if (!held.add(commit)) {
            return List.of();
        }
        Gossip announcement = inventory(List.of(commit), nowMs);
        List<Effect> out = new ArrayList<>();
        neighbours.forEach(peer -> out.add(new Effect.Send(peer, announcement)));
        return out;
    }

    private Gossip inventory(List<String> commits, long nowMs) {
        return Gossip.newBuilder().setAnnouncement(Envelopes.sign(identity, Inventory.newBuilder()
                .setNode(identity.publicId().toByteString()).addAllCommits(commits).setTimeMs(nowMs).build())).build();
    }

    @Override
    public List<Effect> onTick(long nowMs) {
        return List.of();
    }

    @Override
    public boolean isBanned(PublicId peer, long nowMs) {
        return false;
    }
}
