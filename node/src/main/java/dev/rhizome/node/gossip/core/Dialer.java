package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;
import java.util.function.Function;

/** Which peers to dial, and when, to keep the degree; what the table is offered; when to ask the bootstrap source for more. */
final class Dialer {
    /** With fewer links than this the bootstrap source is asked again for nodes, at most every FIND_PEERS_MS. */
    static final int FEW_LINKS = 2;
    static final long FIND_PEERS_MS = 10_000;

    private final Self self;
    private final Peers peers;
    private long lastFindPeersMs;

    Dialer(Self self, Peers peers) {
        this.self = self;
        this.peers = peers;
    }

    void offerAll(List<NodeInfo> infos, Function<NodeInfo, Reach> learntOver) {
        for (NodeInfo info : infos) {
            if (info.getNode().size() == PublicId.LENGTH) {
                PublicId id = PublicId.of(info.getNode());
                if (!id.equals(self.id())) {
                    peers.table().offer(id, info, null, learntOver.apply(info), this::kept);
                }
            }
        }
    }

    /** Asks the bootstrap source for nodes now. */
    void findPeers(long now, List<Effect> out) {
        lastFindPeersMs = now;
        out.add(new Effect.FindPeers());
    }

    /** Asks the bootstrap source again while this node has fewer than {@link #FEW_LINKS} links, at most every {@link #FIND_PEERS_MS}. */
    void findPeersIfFew(long now, List<Effect> out) {
        if (peers.connections().openCount() < FEW_LINKS && now - lastFindPeersMs >= FIND_PEERS_MS) {
            lastFindPeersMs = now;
            out.add(new Effect.FindPeers());
        }
    }

    /** A Dial could not connect: the address and the table's entry back off. */
    void dialFailed(PublicId peer, long now) {
        if (peers.connections().dialEnded(peer)) {
            peers.dials().ended(peer, AddressDials.Outcome.FAILED, now, self.random());
        }
        peers.table().dialFailed(peer, now, self.random());
    }

    /** Dials that neither connected nor failed within {@code stallMs} count as failed. */
    void expireDials(long now, long stallMs) {
        for (PublicId peer : peers.connections().expireDials(now - stallMs)) {
            peers.dials().ended(peer, AddressDials.Outcome.FAILED, now, self.random());
            peers.table().dialFailed(peer, now, self.random());
        }
    }

    /** Dials until the degree is reached and at least the outbound quota of connections are our own choice. */
    void keepDegree(long now, List<Effect> out) {
        int open = peers.connections().openCount();
        int dialing = peers.connections().dialingCount();
        GossipConfig config = self.config();
        int wanted = Math.max(config.degree() - open - dialing, config.outboundQuota() - peers.connections().openOutbound() - dialing);
        wanted = Math.min(wanted, self.config().maxDegree() - open - dialing);
        if (wanted <= 0) {
            return;
        }
        List<PeerTable.Entry> candidates = peers.table().dialable(now,
                id -> !peers.connections().isBusy(id) && peers.scores().isWelcome(id, now));
        // In random order, each checked against the dials by address this round has started too.
        for (PeerTable.Entry e : RandomPick.some(candidates, candidates.size(), self.random())) {
            if (wanted == 0) {
                break;
            }
            if (peers.dials().mayDial(e.id, e.info, now)) {
                wanted--;
                peers.connections().dialing(e.id, now);
                peers.dials().started(e.id, e.info, now);
                out.add(new Dial(e.info, e.learntOver));
            }
        }
    }

    /** Not to be evicted from the peer table: connected, being dialled, or proven to own the address it names. */
    boolean kept(PublicId id) {
        if (peers.connections().isBusy(id)) {
            return true;
        }
        NodeInfo info = peers.table().info(id);
        return info != null && id.equals(peers.dials().owner(info));
    }
}
