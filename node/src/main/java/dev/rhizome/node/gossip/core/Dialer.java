package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** Which peers to dial, and when, to keep the degree; what the table is offered; when to ask the bootstrap source for more. */
final class Dialer {
    /** With fewer links than this the bootstrap source is asked again for nodes, at most every FIND_PEERS_MS. */
    static final int FEW_LINKS = 2;
    static final long FIND_PEERS_MS = 10_000;
    /**
     * With links enough but fewer of our own choice than the outbound quota, and nothing left to
     * dial for it, the bootstrap source is asked again at most this often: inbound links alone (a
     * rogue's, from as many networks as the inbound slots) kept this node from ever asking again,
     * so it never dialled out and they were all its links (an eclipse). Slower than
     * {@link #FIND_PEERS_MS}: a network smaller than the quota keeps a node short for good.
     */
    static final long FIND_OUTBOUND_MS = 30_000;

    private final Self self;
    private final Peers peers;
    private long lastFindPeersMs;
    private final FindPeersBackoff findPeersBackoff = new FindPeersBackoff();
    /** The table's count of peers added ({@link PeerTable#added}) at the last ask: a change since is peers learnt. */
    private long addedAtFindPeers;
    /** The links the core had closed itself at the last ask ({@link Connections#closedByCore}). */
    private long closedAtFindPeers;

    Dialer(Self self, Peers peers) {
        this.self = self;
        this.peers = peers;
    }

    void offerAll(List<NodeInfo> infos, Function<NodeInfo, Reach> learntOver) {
        offerAll(infos, learntOver, false);
    }

    /** As {@link #offerAll(List, Function)}, for the bootstrap source's list: each peer it names is marked listed. */
    void offerListed(List<NodeInfo> infos, Function<NodeInfo, Reach> learntOver) {
        offerAll(infos, learntOver, true);
    }

    private void offerAll(List<NodeInfo> infos, Function<NodeInfo, Reach> learntOver, boolean listed) {
        for (NodeInfo info : infos) {
            if (info.getNode().size() == PublicId.LENGTH) {
                PublicId id = PublicId.of(info.getNode());
                if (!id.equals(self.id())) {
                    peers.table().offer(id, info, null, learntOver.apply(info), this::kept);
                    if (listed) {
                        peers.table().listed(id);
                    }
                }
            }
        }
    }

    /** Asks the bootstrap source for nodes now. */
    void findPeers(long now, List<Effect> out) {
        lastFindPeersMs = now;
        addedAtFindPeers = peers.table().added();
        closedAtFindPeers = peers.connections().closedByCore();
        out.add(new Effect.FindPeers());
    }

    /**
     * Asks the bootstrap source again while this node has fewer than {@link #FEW_LINKS} links, at
     * most every {@link #FIND_PEERS_MS}, or while it has fewer outbound links than its quota and no
     * dial in flight (the table had no one left to dial), at most every {@link #FIND_OUTBOUND_MS}.
     * Each wait doubles after an ask, to {@link FindPeersBackoff#CAP_MS}, until a link is lost
     * ({@link #linkLost}) or the table learns a peer new to it (from the answer or from anyone).
     */
    void findPeersIfFew(long now, List<Effect> out) {
        // A peer new to the table, or a link this core closed itself since the last ask (a ban, an idle
        // link: the driver reports only closes it did not ask for, and those call linkLost).
        if (peers.table().added() != addedAtFindPeers || peers.connections().closedByCore() != closedAtFindPeers) {
            findPeersBackoff.reset();
        }
        Connections links = peers.connections();
        boolean few = links.openCount() < FEW_LINKS;
        boolean outboundShort = links.openOutbound() < self.config().outboundQuota() && links.dialingCount() == 0;
        long since = now - lastFindPeersMs;
        if (few && since >= findPeersBackoff.waitMs(FIND_PEERS_MS)
                || outboundShort && since >= findPeersBackoff.waitMs(FIND_OUTBOUND_MS)) {
            findPeers(now, out);
            findPeersBackoff.asked();
        }
    }

    /** A link closed: what the bootstrap source knows may help again, so it is asked at the base pace. */
    void linkLost() {
        findPeersBackoff.reset();
    }

    /** A Dial could not connect: the address and the table's entry back off. */
    void dialFailed(PublicId peer, long now) {
        if (peers.connections().dialEnded(peer)) {
            peers.dials().ended(peer, AddressDials.Outcome.FAILED, now, self.random());
        }
        peers.table().dialFailed(peer, now, self.random());
    }

    /**
     * {@code answerer} proved its key at the address dialled for {@code peer}: the address is the
     * answerer's (so other ids naming it are not dialled while it answers), not backed off, and
     * {@code peer}'s record, which names an address that is not its own, is dropped from the table.
     */
    void dialAnsweredByAnother(PublicId peer, PublicId answerer, long now) {
        if (peers.connections().dialEnded(peer)) {
            peers.dials().answeredByAnother(peer, answerer, now, self.random());
        }
        peers.table().remove(peer);
    }

    /**
     * Dials that neither connected nor failed within {@code stallMs} count as failed, and the driver
     * is told to drop them: forgotten here while their sockets went on, one that answered at last
     * was linked as a fresh dial, never judged late.
     */
    void expireDials(long now, long stallMs, List<Effect> out) {
        for (PublicId peer : peers.connections().expireDials(now - stallMs)) {
            peers.dials().ended(peer, AddressDials.Outcome.FAILED, now, self.random());
            peers.table().dialFailed(peer, now, self.random());
            out.add(new Effect.CancelDial(peer));
        }
    }

    /**
     * Slow dials (older than {@link #SLOW_DIAL_MS}) are given up once the node holds its degree and
     * its outbound quota: their answer would be turned away ({@link #takesLateLink}), yet a late
     * answer still cost a handshake on both ends, and a rogue's addresses answering just late kept
     * this node signing and verifying for links it never took. Backed off as a turned-away answer
     * (no penalty: a loaded honest host is dialled again later); while the node is short of either,
     * a slow dial is kept, since it may still link.
     */
    void cancelSlowDials(long now, List<Effect> out) {
        if (peers.connections().dialingCount() == 0 || takesLateLink()) {
            return;
        }
        for (PublicId peer : peers.connections().expireDials(now - SLOW_DIAL_MS + 1)) {
            peers.dials().ended(peer, AddressDials.Outcome.TURNED_AWAY, now, self.random());
            peers.table().dialFailed(peer, now, self.random());
            out.add(new Effect.CancelDial(peer));
        }
    }

    /**
     * A dial that has not proven a key this long no longer holds a degree slot: live peers answer a
     * dial within a round trip or two, and a gone host that takes the connection and never answers
     * (a machine hung with its port open, a rogue that accepts and stalls) held its slot to the
     * handshake deadline (10 s). A node restarted among such peers filled every slot with them, and
     * linked the live peers its coordinator listed one a 10 s round: about 30 s for three. The dial
     * stays in flight (its address stays counted, and it may still link: see {@link #takesLateLink}).
     */
    static final long SLOW_DIAL_MS = 2_000;
    /**
     * Listed peers no dial of ours has failed, dialled at once at the front of a round at most: the
     * peers the coordinator heard from lately reach a node among gone ones within a round or two,
     * and the remembered peers, this node's own choice, still take most dials.
     */
    static final int LISTED_AT_ONCE = 2;

    /** Dials in flight at most, slow ones included: what a node among hung hosts spends on them (a descriptor each). */
    static int maxDialsInFlight(GossipConfig config) {
        return 2 * config.maxDegree();
    }

    /**
     * Dials until the degree is reached and at least the outbound quota of connections are our own
     * choice, counting as holding a slot only the dials younger than {@link #SLOW_DIAL_MS}; links
     * and those dials never pass the most links taken, nor dials in flight {@link #maxDialsInFlight}.
     */
    void keepDegree(long now, List<Effect> out) {
        Connections connections = peers.connections();
        int open = connections.openCount();
        int holding = connections.dialingSince(now - SLOW_DIAL_MS + 1);
        GossipConfig config = self.config();
        int wanted = Math.max(config.degree() - open - holding, config.outboundQuota() - connections.openOutbound() - holding);
        wanted = Math.min(wanted, config.maxDegree() - open - holding);
        wanted = Math.min(wanted, maxDialsInFlight(config) - connections.dialingCount());
        if (wanted <= 0) {
            return;
        }
        List<PeerTable.Entry> candidates = peers.table().dialable(now,
                id -> !peers.connections().isBusy(id) && peers.scores().isWelcome(id, now));
        // In random order, each checked against the dials by address this round has started too.
        for (PeerTable.Entry e : listedFirst(diverse(RandomPick.some(candidates, candidates.size(), self.random())))) {
            if (wanted == 0) {
                break;
            }
            if (peers.dials().mayDial(e.id, e.info, now)) {
                wanted--;
                connections.dialing(e.id, now);
                peers.dials().started(e.id, e.info, now);
                out.add(new Dial(e.info, e.learntOver));
            }
        }
    }

    /**
     * Whether an outbound link whose dial had gone slow (it held no slot any more) is taken: only
     * while the node is short of its degree or of its outbound quota. Taken always, slow dials that
     * all answered at once (a rogue's addresses stalling, then answering together) would be up to
     * the most links taken, all of them outbound to it and no slot left for anyone dialling in.
     */
    boolean takesLateLink() {
        Connections connections = peers.connections();
        GossipConfig config = self.config();
        return connections.openCount() < config.degree() || connections.openOutbound() < config.outboundQuota();
    }

    /**
     * {@code ordered} with its first peers that the bootstrap source listed and no dial of ours has
     * failed moved to the front, up to {@link #LISTED_AT_ONCE} such dials in flight: each round of
     * dials tries the peers the coordinator heard from lately. A node back from a day away holds up
     * to 64 remembered peers, perhaps all gone, and drew its dials among them and the coordinator's
     * few live ones at random, each gone one failing at the connect timeout and dialled again a
     * second or two later: with 64 gone it linked the three listed ones after about 107 s on
     * average, and not within 5 minutes in 1 seed of 100 (`GossipRestartFromRememberedPeersTest`).
     * The rest of the round keeps the order given, so the remembered peers, this node's own choice,
     * still take most dials.
     */
    private List<PeerTable.Entry> listedFirst(List<PeerTable.Entry> ordered) {
        int room = LISTED_AT_ONCE;
        for (PublicId dialing : peers.connections().dialingPeers()) {
            if (neverFailedListed(peers.table().get(dialing))) {
                room--;
            }
        }
        if (room <= 0) {
            return ordered;
        }
        List<PeerTable.Entry> first = new ArrayList<>();
        List<PeerTable.Entry> rest = new ArrayList<>();
        for (PeerTable.Entry e : ordered) {
            (first.size() < room && neverFailedListed(e) ? first : rest).add(e);
        }
        first.addAll(rest);
        return first;
    }

    private static boolean neverFailedListed(PeerTable.Entry e) {
        return e != null && e.listed && e.failures == 0;
    }

    /**
     * {@code shuffled} with, first, one candidate of each network ({@link NetworkGroup}) no link or
     * dial of ours is in yet, then the rest, each part in the order given. Picked at random alone, a
     * table holding many peers of one network (a rogue's /24, names under its domain) had most of
     * the dials go there, and its links be most of this node's: eclipsed. Where every peer is in one
     * network (a LAN, loopback, the simulations) the order is the one given.
     */
    private List<PeerTable.Entry> diverse(List<PeerTable.Entry> shuffled) {
        Set<String> used = new HashSet<>();
        for (PublicId linked : peers.connections().busyPeers()) {
            Connections.Link link = peers.connections().get(linked);
            if (link != null && !link.remote().equals(LinkEnd.LOOPBACK)) {
                // Where the link really is, not where its hello says: an inbound rogue naming an
                // honest network in its hello would have that network's peers dialled last.
                used.add(link.remote().network());
                continue;
            }
            NodeInfo info = link != null ? link.info() : null;
            if (info == null || info.getHost().isEmpty()) {
                info = peers.table().info(linked);
            }
            if (info != null) {
                used.add(NetworkGroup.of(info.getHost()));
            }
        }
        List<PeerTable.Entry> first = new ArrayList<>();
        List<PeerTable.Entry> rest = new ArrayList<>();
        for (PeerTable.Entry e : shuffled) {
            (used.add(NetworkGroup.of(e.info.getHost())) ? first : rest).add(e);
        }
        first.addAll(rest);
        return first;
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
