package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/** Which peers to dial, and when, to keep the degree; what the table is offered; when to ask the bootstrap source for more. */
final class Dialer {
    /** With fewer links than this the bootstrap source is asked again for nodes, at most every FIND_PEERS_MS. */
    static final int FEW_LINKS = 2;
    static final long FIND_PEERS_MS = 10_000;

    private final PublicId selfId;
    private final GossipConfig config;
    private final Random random;
    private final Connections connections;
    private final PeerTable table;
    private final PeerScores scores;
    private final AddressDials dials;
    private long lastFindPeersMs;

    Dialer(Self self, Peers peers) {
        this.selfId = self.id();
        this.config = self.config();
        this.random = self.random();
        this.connections = peers.connections();
        this.table = peers.table();
        this.scores = peers.scores();
        this.dials = peers.dials();
    }

    void offerAll(List<NodeInfo> peers, Function<NodeInfo, Reach> learntOver) {
        for (NodeInfo info : peers) {
            if (info.getNode().size() == PublicId.LENGTH) {
                PublicId id = PublicId.of(info.getNode());
                if (!id.equals(selfId)) {
                    table.offer(id, info, null, learntOver.apply(info), this::kept);
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
        if (connections.openCount() < FEW_LINKS && now - lastFindPeersMs >= FIND_PEERS_MS) {
            lastFindPeersMs = now;
            out.add(new Effect.FindPeers());
        }
    }

    /** A Dial could not connect: the address and the table's entry back off. */
    void dialFailed(PublicId peer, long now) {
        if (connections.dialEnded(peer)) {
            dials.ended(peer, AddressDials.Outcome.FAILED, now, random);
        }
        table.dialFailed(peer, now, random);
    }

    /** Dials that neither connected nor failed within {@code stallMs} count as failed. */
    void expireDials(long now, long stallMs) {
        for (PublicId peer : connections.expireDials(now - stallMs)) {
            dials.ended(peer, AddressDials.Outcome.FAILED, now, random);
            table.dialFailed(peer, now, random);
        }
    }

    /** Dials until the degree is reached and at least the outbound quota of connections are our own choice. */
    void keepDegree(long now, List<Effect> out) {
        int open = connections.openCount();
        int dialing = connections.dialingCount();
        int wanted = Math.max(config.degree() - open - dialing, config.outboundQuota() - connections.openOutbound() - dialing);
        wanted = Math.min(wanted, config.maxDegree() - open - dialing);
        if (wanted <= 0) {
            return;
        }
        List<PeerTable.Entry> candidates = table.dialable(now,
                id -> !connections.isBusy(id) && scores.isWelcome(id, now));
        // In random order, each checked against the dials by address this round has started too.
        for (PeerTable.Entry e : RandomPick.some(candidates, candidates.size(), random)) {
            if (wanted == 0) {
                break;
            }
            if (dials.mayDial(e.id, e.info, now)) {
                wanted--;
                connections.dialing(e.id, now);
                dials.started(e.id, e.info, now);
                out.add(new Dial(e.info, e.learntOver));
            }
        }
    }

    /** Not to be evicted from the peer table: connected, being dialled, or proven to own the address it names. */
    boolean kept(PublicId id) {
        if (connections.isBusy(id)) {
            return true;
        }
        NodeInfo info = table.info(id);
        return info != null && id.equals(dials.owner(info));
    }
}
