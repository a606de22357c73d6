package dev.rhizome.node.gossip.core;

import dev.rhizome.node.rate.TokenBucket;
import dev.rhizome.node.gossip.core.AnnouncementCheck.Outcome;
import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.ResultSeen;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.proto.v1.PeerExchange;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * One node's gossip protocol as a pure state machine: events in (connections, messages, fetch
 * outcomes, ticks, all stamped with {@code nowMs}), {@link Effect}s out. No sockets, threads, disk
 * or wall clock, so tests and the simulator drive it directly. Not thread-safe: the adapter calls
 * it from one thread at a time. It owns time and policy: it says when it must next be ticked
 * ({@link Effect.Wakeup}), when to re-sign its hello, ask for bootstrap nodes or persist its peers,
 * which of two links to one peer to keep, and where each holder of a bundle is.
 *
 * <p>Bundles spread by lazy pull: a node that comes to hold a bundle pushes a signed Inventory to
 * its neighbours, and a neighbour that lacks it fetches it from exactly one announcer, keeping the
 * others as fallbacks. NodeInfo and Result announcements are small and are relayed to a bounded
 * fanout, de-duplicated by message id.
 */
public final class GossipCore implements PeerProtocol {
    /** Records a peer exchange carries at most. */
    static final int EXCHANGE_SIZE = 32;
    static final long EXCHANGE_INTERVAL_MS = 30_000;
    /**
     * A peer's PeerExchangeRequest is answered at most this often per link; others are dropped. An
     * answer is up to 32 records (about 16 KB) for a request of a few bytes, so a peer asking as
     * fast as its token bucket allows (50 a second) had us send it close to a megabyte a second.
     * An honest node asks once when a link opens (the count restarts with a reconnect) and then
     * one random link every 30 s.
     */
    static final long EXCHANGE_ANSWER_MS = 10_000;
    /** How often a node pushes its own signed NodeInfo, so others learn an address that changed. */
    static final long SELF_ANNOUNCE_INTERVAL_MS = 10 * 60_000;
    /** Bundle transfers the core hands out at once; the adapter should run as many in parallel. */
    public static final int MAX_CONCURRENT_FETCHES = FetchPlanner.MAX_ACTIVE;
    /** Our NodeInfo for hellos is re-signed this often, well inside the age a hello may have. */
    static final long RESIGN_MS = 60_000;
    /** With fewer links than this the bootstrap source is asked again for nodes, at most every FIND_PEERS_MS. */
    static final int FEW_LINKS = 2;
    static final long FIND_PEERS_MS = 10_000;
    /** The peers we had links with are persisted at most this often (and when the node stops). */
    static final long SAVE_PEERS_MS = 30_000;
    /** Peers remembered for a restart, the most recently connected. */
    static final int REMEMBERED_PEERS = 64;
    /** Addresses of holders the work named (hints), the most recent. */
    static final int HINTED_ADDRESSES = 256;
    /** Inventories of withdrawn commits sent to each link per prune at most (8,000 commits at the default size). */
    static final int MAX_WITHDRAWN_INVENTORIES = 8;
    /**
     * The longest the core sleeps: redials, expired dials, score decay and forgetting old wants are
     * checked this often. Every other deadline (a stall, a backed-off holder) is asked for exactly.
     */
    static final long HOUSEKEEPING_MS = 1_000;
    /**
     * A link we sent nothing on for this long gets a keepalive: a PeerExchangeRequest for one
     * record (every node answers it, at most once per 10 s per link, with its own signed NodeInfo,
     * a few hundred bytes), so both ends hear something at least this often. The protocol had no
     * ping, and an honest link may carry nothing for many minutes (peer exchange goes to one random
     * link every 30 s, and stops once the table is full; self announcements every 10 minutes).
     */
    public static final long KEEPALIVE_MS = 60_000;
    /**
     * A link on which the peer sent no whole message for this long is closed (routine: a dead link
     * or a silent peer holding a link slot). Sized from the protocol's own limits: an honest peer
     * sends a keepalive within {@link #KEEPALIVE_MS}, and a frame already started may take up to
     * 10 s plus its bytes at the fetch floor of 6.4 KB/s to arrive (the wire's frame deadline, 174 s
     * for a whole 1 MiB frame); this is longer than the two together.
     */
    public static final long LINK_IDLE_MS = 240_000;
    /**
     * A link whose outbound buffer stays over its write mark this long is closed (routine): the
     * peer reads nothing of what we send, and what we send past the mark is dropped, withdrawals
     * among it, while the peer may keep its slot by sending valid messages. An honest reader at
     * the fetch floor (6.4 KB/s) takes the buffer from its high mark (1 MiB) to its low (256 KiB)
     * in two minutes; this is the frame deadline of a whole 1 MiB frame, rounded up.
     */
    public static final long UNREAD_MS = 180_000;

    private final Identity self;
    private final PublicId selfId;
    private final NodeInfo selfInfo;
    private final GossipConfig config;
    private final Random random;
    private final CoreClock clock = new CoreClock();
    private final SeenCache seen;
    private final AnnouncementCheck check;
    private final PeerScores scores;
    private final PeerTable table;
    private final Connections connections = new Connections();
    private final AddressDials dials;
    private final FetchPlanner planner;
    /** "Not found" answers for commits the peer announced, awaiting its withdrawal before they count as lies. */
    private final GoneClaims goneClaims = new GoneClaims();
    private final Counters counters = new Counters();
    private SignedEnvelope signedSelf;
    private long signedSelfAtMs;
    private long nextExchangeMs;
    private long nextSelfAnnounceMs;
    private long lastTickMs;
    /** This node's own starvation lately ({@link #onStarved}): when a reported stall is its fault, not the holder's. */
    private final Starvation starvation;
    private long lastFindPeersMs;
    private long nextSaveMs;
    /** The wakeup the adapter was last asked for; a new Wakeup is emitted when the deadline moves. */
    private long wakeupAskedMs = Long.MIN_VALUE;
    private final Bounded<PublicId, SignedEnvelope> remembered = new Bounded<>(REMEMBERED_PEERS);
    private boolean rememberedChanged;
    private final Bounded<PublicId, PeerAddressing> hinted = new Bounded<>(HINTED_ADDRESSES);
    /**
     * The commits given up most recently (as many as one Inventory names): a link that opens later
     * may have heard them announced before, on a link since dropped (a neighbour's work keeps the
     * holders of what it needs), and is told they are gone as it is told what is held.
     */
    private final Bounded<String, Long> recentlyGone;
    private final Wants wants;
    /** Keepers of the commits made here (the wants filter only; null when every bundle is fetched). */
    private final Keepers keepers;
    /** The bytes this node keeps for neighbours that name it keeper (the wants filter only; null otherwise). */
    private final KeepBudget keepBudget;

    public GossipCore(Identity self, NodeInfo selfInfo, GossipConfig config, Random random, SignatureCheck signatures) {
        this(self, selfInfo, config, random, signatures, Wants.everything());
    }

    /** @param wants which announced bundles to fetch unasked: all of them, or the work's and those it is named to keep */
    public GossipCore(Identity self, NodeInfo selfInfo, GossipConfig config, Random random, SignatureCheck signatures,
                      Wants wants) {
        this.wants = java.util.Objects.requireNonNull(wants, "wants");
        this.keepers = wants.all() ? null : new Keepers(wants.copies());
        this.keepBudget = wants.all() ? null : new KeepBudget(wants.keepBytes(), wants.maxBundleBytes());
        this.self = self;
        this.selfId = self.publicId();
        this.selfInfo = selfInfo.toBuilder().setNode(selfId.toByteString()).build();
        this.config = config;
        this.random = random;
        this.seen = new SeenCache(config, clock);
        this.check = new AnnouncementCheck(config, signatures);
        this.scores = new PeerScores(config);
        this.table = new PeerTable(config);
        this.dials = new AddressDials(config);
        this.planner = new FetchPlanner(config);
        this.starvation = new Starvation(config.fetchStall().toMillis());
        this.recentlyGone = new Bounded<>(config.maxCommitsPerInventory());
    }

    /** A factory for the network driver: a core per node, verifying every signature, with a strong random source. */
    public static java.util.function.Function<NodeInfo, PeerProtocol> factory(Identity identity, GossipConfig config) {
        return factory(identity, config, Wants.everything());
    }

    /** {@link #factory(Identity, GossipConfig)} with a wants policy. */
    public static java.util.function.Function<NodeInfo, PeerProtocol> factory(Identity identity, GossipConfig config,
                                                                             Wants wants) {
        return self -> new GossipCore(identity, self, config, new java.security.SecureRandom(), SignatureCheck.envelopes(),
                wants);
    }

    /** This node's NodeInfo signed for the Hello; re-signed once it is half a seen window old, so it is always fresh. */
    @Override
    public SignedEnvelope signedSelfInfo(long nowMs) {
        long now = clock.advance(nowMs);
        if (signedSelf == null || now - signedSelfAtMs > config.seenTtl().toMillis() / 2) {
            signedSelf = Envelopes.sign(self, selfInfo.toBuilder().setTimeMs(now).build());
            signedSelfAtMs = now;
        }
        return signedSelf;
    }

    /** Learns the bootstrap peers (from the coordinator, or remembered) and dials up to the degree. */
    @Override
    public List<Effect> start(List<NodeInfo> bootstrap, long nowMs) {
        long now = clock.advance(nowMs);
        // Remembered records came by links of any reach (peers.bin keeps no reach): each is taken at its
        // own word, a literal as what it is, a name as its suffix says (any other name: the internet).
        offerAll(bootstrap, info -> PeerAddress.reach(info.getHost()));
        nextExchangeMs = now + EXCHANGE_INTERVAL_MS;
        nextSelfAnnounceMs = now + (long) (random.nextDouble() * SELF_ANNOUNCE_INTERVAL_MS);
        lastTickMs = now;
        nextSaveMs = now + SAVE_PEERS_MS;
        List<Effect> out = new ArrayList<>();
        out.add(new Effect.SignedSelf(signedSelfInfo(now)));
        lastFindPeersMs = now;
        out.add(new Effect.FindPeers());
        keepDegree(now, out);
        return settled(out);
    }

    /** More peers to try (the coordinator's list, while this node has few links): offered to the table, then dialled up to the degree. */
    @Override
    public List<Effect> learn(List<NodeInfo> peers, long nowMs) {
        return learn(peers, Reach.LOOPBACK, nowMs);  // trusted as configured (simulations, tests)
    }

    /** {@link #learn(List, long)} from a source of reach {@code learntOver} (the coordinator's). */
    @Override
    public List<Effect> learn(List<NodeInfo> peers, Reach learntOver, long nowMs) {
        long now = clock.advance(nowMs);
        offerAll(peers, info -> learntOver);
        List<Effect> out = new ArrayList<>();
        keepDegree(now, out);
        return settled(out);
    }

    private void offerAll(List<NodeInfo> peers, java.util.function.Function<NodeInfo, Reach> learntOver) {
        for (NodeInfo info : peers) {
            if (info.getNode().size() == PublicId.LENGTH) {
                PublicId id = PublicId.of(info.getNode());
                if (!id.equals(selfId)) {
                    table.offer(id, info, null, learntOver.apply(info), this::kept);
                }
            }
        }
    }

    /**
     * A gossip connection is up, after a Hello carrying the peer's signed NodeInfo. May answer with
     * Disconnect: banned or low-scored peer, a Hello that doesn't verify, or no free slot. A second
     * connection to a peer already connected is ignored; the adapter should close the newer one.
     */
    @Override
    public List<Effect> onConnected(PublicId peer, SignedEnvelope peerInfo, boolean outbound, long nowMs) {
        return connected(peer, peerInfo, null, outbound, LinkEnd.LOOPBACK, nowMs);
    }

    /**
     * As {@link #onConnected(PublicId, SignedEnvelope, boolean, long)}, for the NodeInfo the link
     * handshake verified: its signature is not checked a second time on a first connection (the
     * size, signer and time window are).
     */
    @Override
    public List<Effect> onConnected(PublicId peer, Verified<NodeInfo> peerInfo, boolean outbound, long nowMs) {
        return connected(peer, peerInfo.envelope(), peerInfo, outbound, LinkEnd.LOOPBACK, nowMs);
    }

    @Override
    public List<Effect> onConnected(PublicId peer, Verified<NodeInfo> peerInfo, boolean outbound, LinkEnd remote, long nowMs) {
        return connected(peer, peerInfo.envelope(), peerInfo, outbound, remote, nowMs);
    }

    private List<Effect> connected(PublicId peer, SignedEnvelope peerInfo, Verified<NodeInfo> verified, boolean outbound,
            LinkEnd remote, long nowMs) {
        Reach reach = remote.reach();
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        connections.dialEnded(peer);
        // Our dial reached the address and the peer proved its key there; an inbound link proves no address.
        dials.ended(peer, outbound ? AddressDials.Outcome.CONNECTED : AddressDials.Outcome.UNKNOWN, now, random);
        if (peer.equals(selfId)) {
            out.add(Disconnect.routine(peer, "connected to itself"));
            return settled(out);
        }
        if (!scores.isWelcome(peer, now)) {
            out.add(new Effect.Shun(peer)); // a peer cut for misbehaviour came back: a loop, if it keeps coming
            out.add(new Disconnect(peer, scores.isBanned(peer, now) ? "banned" : "score too low"));
            return settled(out);
        }
        Link existing = connections.get(peer);
        if (existing != null && !existing.closing) {
            boolean keepNew = keepsNewLink(peer, existing.outbound, outbound);
            out.add(new Effect.DuplicateLink(peer, keepNew));
            if (keepNew) {
                // The old link may be dead (the peer restarted): greet on the new one as on a fresh link.
                existing.outbound = outbound;
                existing.remote = remote;
                existing.bucket = new TokenBucket(config.announcementsPerSecond(), config.announcementBurst(), now * 1_000_000L);
                // Its outstanding exchange asks stay expected: answers on the old link may still arrive.
                existing.exchangeAnsweredMs = Long.MIN_VALUE / 2;
                existing.heardMs = now;
                existing.unreadSinceMs = Long.MAX_VALUE;
                planner.unclaim(peer, now); // withdrawals sent on the old link may be lost with it
                planner.relinked(peer);
                greet(peer, now, out);
            }
            return settled(out);
        }
        Outcome hello = verified != null && table.heldRecord(peerInfo) == null ? check.nodeInfo(verified, now)
                : checkNodeInfo(peerInfo, now);
        if (!hello.accepted() || !peerInfo.getSigner().equals(peer.toByteString())) {
            counters.invalid++;
            penalise(peer, hello.penalty() != null ? hello.penalty() : Penalty.FORGED_SIGNER, now, out);
            out.add(new Disconnect(peer, "hello: " + (hello.reason() != null ? hello.reason() : "node info of another node")));
            return settled(out);
        }
        if (PeerTable.undialable((NodeInfo) hello.record())) {
            // No node listens there: holders are fetched from at their hello's address, and dialled at it.
            out.add(Disconnect.routine(peer, "hello names an address no node can be dialled at"));
            return settled(out);
        }
        // Learn the address even when refusing: the peer table is how the network finds itself.
        NodeInfo helloInfo = (NodeInfo) hello.record();
        table.offer(peer, helloInfo, peerInfo, reach, this::kept);
        // A hello naming an address narrower than the link (a node behind a NAT announcing its LAN
        // address, or a rogue naming ours): linked, but never fetched from or dialled there.
        boolean outOfReach = PeerTable.outOfReach(helloInfo, reach);
        NodeInfo linkInfo = outOfReach ? helloInfo.toBuilder().clearHost().clearPort().build() : helloInfo;
        boolean full = connections.openCount() >= config.maxDegree()
                || (!outbound && connections.openInbound() >= config.maxInbound());
        PublicId displaced = full && !outbound ? connections.inboundToDisplace(remote.address()) : null;
        if (displaced != null) {
            Link crowded = connections.get(displaced);
            crowded.closing = true;
            crowded.closingSinceMs = now;
            counters.peersDisconnected++;
            out.add(Disconnect.routine(displaced, "gave its inbound slot to a peer at a less crowded address"));
            full = false;
        }
        if (full) {
            out.add(Disconnect.routine(peer, "no free connection slot"));
            return settled(out);
        }
        Link opened = connections.open(peer, outbound,
                new TokenBucket(config.announcementsPerSecond(), config.announcementBurst(), now * 1_000_000L), linkInfo);
        opened.remote = remote;
        opened.heardMs = now;
        opened.sentMs = now;
        planner.relinked(peer);
        if (keepers != null) {
            // back from away (perhaps restarted, and forgetting what it gave up meanwhile): named again
            for (String commit : keepers.linked(peer, now)) {
                opened.toKeep.add(commit);
                if (opened.toKeep.size() >= config.maxCommitsPerInventory()) {
                    tellWaiting(peer, opened, true, now, out);
                }
            }
        }
        table.connected(peer);
        if (!outOfReach) {
            remembered.put(peer, peerInfo);  // peers.bin is read back as trusted as configured
            rememberedChanged = true;
        }
        greet(peer, now, out);
        return settled(out);
    }

    /** A new link: ask for peers while the table has room, and tell the peer what we recently came to hold. */
    private void greet(PublicId peer, long now, List<Effect> out) {
        if (table.size() < config.maxKnownPeers()) {
            askForPeers(peer, out);
        }
        List<String> recent = planner.recentlyHeld();
        List<String> gone = recentlyGone.keys();
        if (!recent.isEmpty() || !gone.isEmpty()) {
            // Both together stay within one Inventory's bound: the newest held are kept whole.
            List<String> goneFit = gone.subList(Math.max(0, gone.size() - (config.maxCommitsPerInventory() - recent.size())),
                    gone.size());
            sendAnnouncement(peer, signInventory(recent, List.of(), goneFit, List.of(), now), out);
        }
        replicate(now, out);
    }

    /**
     * The wants filter: own commits short of keepers (made while this node had few links, or a
     * keeper never fetched) name more among the open links, by rendezvous order, each told in one
     * Inventory that names it.
     */
    private void replicate(long now, List<Effect> out) {
        if (keepers != null) {
            keepers.more(connections.openPeers(), config.maxCommitsPerInventory(), now)
                    .forEach((peer, commits) -> sendAnnouncement(peer, signInventory(commits, List.of(peer), now), out));
        }
    }

    /**
     * The tie-break for two links to one peer, the same at both ends: a second link by the same
     * dialler is a reconnect, and the old link is the one likely dead; links dialled from both ends
     * at once keep the one dialled by the smaller node id.
     */
    boolean keepsNewLink(PublicId peer, boolean existingOutbound, boolean newOutbound) {
        if (existingOutbound == newOutbound) {
            return true;
        }
        String newDialler = (newOutbound ? selfId : peer).toString();
        String oldDialler = (existingOutbound ? selfId : peer).toString();
        return newDialler.compareTo(oldDialler) < 0;
    }

    /** The connection to {@code peer} closed (or a dial to it failed). */
    @Override
    public List<Effect> onDisconnected(PublicId peer, long nowMs) {
        long now = clock.advance(nowMs);
        Link link = connections.remove(peer);
        if (link != null) {
            planner.unclaim(peer, now); // its withdrawals rode on this link
            if (keepers != null) {
                keepers.unlinked(peer, now); // and its word that it gave our commits up
            }
        }
        boolean wasDialing = connections.dialEnded(peer);
        if (wasDialing) {
            dials.ended(peer, AddressDials.Outcome.FAILED, now, random);
        }
        if (wasDialing || (link != null && link.outbound && !link.closing)) {
            table.dialFailed(peer, now, random);
        }
        List<Effect> out = new ArrayList<>();
        keepDegree(now, out);
        return settled(out);
    }

    /** A Dial effect could not connect (refused, unreachable, handshake failed). */
    @Override
    public List<Effect> onDialFailed(PublicId peer, long nowMs) {
        long now = clock.advance(nowMs);
        if (connections.dialEnded(peer)) {
            dials.ended(peer, AddressDials.Outcome.FAILED, now, random);
        }
        table.dialFailed(peer, now, random);
        List<Effect> out = new ArrayList<>();
        keepDegree(now, out);
        return settled(out);
    }

    /** A gossip message from a connected peer: rate-limited, de-duplicated, verified, time-checked, scored. */
    @Override
    public List<Effect> onMessage(PublicId from, Gossip message, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        Link link = connections.get(from);
        if (link == null) {
            return settled(out); // raced with a close we already handled
        }
        link.heardMs = now;
        if (!link.bucket.tryTake(1, now * 1_000_000L)) {
            counters.rateLimited++;
            penalise(from, Penalty.RATE_LIMITED, now, out);
            return settled(out);
        }
        switch (message.getBodyCase()) {
            case ANNOUNCEMENT -> onAnnouncement(from, link, message.getAnnouncement(), now, out);
            case PEER_EXCHANGE_REQUEST -> onExchangeRequest(from, link, message.getPeerExchangeRequest(), now, out);
            case PEER_EXCHANGE -> onExchange(from, link, message.getPeerExchange(), now, out);
            default -> penalise(from, Penalty.MALFORMED_MESSAGE, now, out);
        }
        return settled(out);
    }

    /** Wire-level misbehaviour the adapter caught (bad frame, oversized frame, a message out of place). */
    @Override
    public List<Effect> onViolation(PublicId from, Violation violation, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        penalise(from, Penalty.of(violation), now, out);
        return settled(out);
    }

    /**
     * This node was not running for {@code lateMs} (its own CPU starved, a pause): its fetches' bytes
     * waited unread in its own socket buffers and their progress reports in its own queue, so that
     * time is not counted against their holders (no stall, no slow transfer for it). A node whose own
     * CPU starves its fetches no longer takes its holders for stallers.
     */
    @Override
    public List<Effect> onStarved(long lateMs, long nowMs) {
        long now = clock.advance(nowMs);
        planner.starved(Math.max(0, lateMs), now);
        // A stall the transfer itself reports (the adapter's own progress rule, run late) may be excused too.
        starvation.starved(lateMs, now);
        return List.of();
    }

    /** The fetch is making progress ({@code bytesSoFar} received): it is not stalled. */
    @Override
    public List<Effect> onFetchProgress(PublicId from, String commit, long bytesSoFar, long nowMs) {
        planner.progress(from, commit, bytesSoFar, clock.advance(nowMs));
        return List.of();
    }

    /** A bundle was fetched, verified and imported: now held, so announce it to the neighbours that lack it. */
    @Override
    public List<Effect> onFetched(PublicId from, String commit, long bytes, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        if (planner.holds(commit)) {
            return settled(out);
        }
        counters.fetchesCompleted++;
        counters.bytesFetched += bytes;
        recentlyGone.remove(commit);
        if (keepBudget != null) {
            keepBudget.fetched(commit, bytes);
        }
        scores.delivered(from);
        planner.delivered(from);
        planner.deliveredBytes(from, commit, bytes, now);
        List<Start> pointless = new ArrayList<>();
        Set<PublicId> holders = planner.markHeld(commit, pointless);
        for (Start s : pointless) {
            if (!s.from().equals(from)) {
                out.add(new CancelFetch(s.from(), s.commit()));
            }
        }
        announceHeld(commit, holders, false, now, out);
        startReady(now, out);
        return settled(out);
    }

    /**
     * The node's own work needs {@code commit}, which {@code hints} are said to hold (the unit's
     * peers, the coordinator's list): it is fetched through the same planner as gossip's bundles, so
     * one commit is never fetched twice at once, banned peers are never asked, and the stall rule
     * holds. Ends with {@link #onFetched} (the adapter sees the commit held) or an
     * {@link Effect.Unavailable} once every usable holder failed.
     */
    @Override
    public List<Effect> want(String commit, Collection<PublicId> hints, long nowMs) {
        CommitId.require(commit, "commit");
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        if (planner.holds(commit)) {
            return settled(out);
        }
        List<PublicId> usable = new ArrayList<>();
        for (PublicId hint : hints) {
            if (!hint.equals(selfId) && !scores.isBanned(hint, now)) {
                usable.add(hint);
            }
        }
        Start start = planner.needed(commit, usable, now);
        if (start != null) {
            startFetch(start, out);
        } else if (planner.exhausted(commit)) {
            planner.drop(commit);
            out.add(new Effect.Unavailable(commit, hints.isEmpty() ? "no peer holds it" : "every peer that holds it is banned"));
        }
        return settled(out);
    }

    /** {@link #want} with the holders' addresses (the unit's peers): remembered, boundedly, so the fetch can reach them. */
    @Override
    public List<Effect> wantFrom(String commit, List<NodeInfo> holders, long nowMs) {
        return wantFrom(commit, holders, Reach.LOOPBACK, nowMs);  // trusted as configured (simulations, tests)
    }

    /** {@link #wantFrom(String, List, long)} from a source of reach {@code learntOver}: narrower holders are not asked there. */
    @Override
    public List<Effect> wantFrom(String commit, List<NodeInfo> holders, Reach learntOver, long nowMs) {
        List<PublicId> ids = new ArrayList<>();
        for (NodeInfo info : holders) {
            if (info.getNode().size() == PublicId.LENGTH) {
                PublicId id = PublicId.of(info.getNode());
                ids.add(id);
                if (table.info(id) == null && PeerTable.usable(info, learntOver)) {
                    hinted.put(id, new PeerAddressing(info, learntOver));
                }
            }
        }
        return want(commit, ids, nowMs);
    }

    /** The node stops: what must outlive it (the peers to rejoin through). */
    @Override
    public List<Effect> stop(long nowMs) {
        List<Effect> out = new ArrayList<>();
        if (remembered.size() > 0) {
            out.add(new Effect.SavePeers(remembered.values()));
            rememberedChanged = false;
        }
        return out;
    }

    /** A fetch failed: the peer pays according to the kind of failure and the next holder is asked. */
    @Override
    public List<Effect> onFetchFailed(PublicId from, String commit, FetchFailure failure, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        // A stall the transfer's own progress rule found just after this node was starved: its bytes
        // waited unread here, so it is retried as a lost connection, at no cost to the holder.
        FetchFailure judged = failure == FetchFailure.STALLED && starvation.excusesStall(now) ? FetchFailure.CONNECTION_LOST : failure;
        failFetch(from, commit, judged, false, now, out);
        return settled(out);
    }

    /** A holder other than the fetch's own peer failed its part: it pays as for a fetch of its own. */
    @Override
    public List<Effect> onHolderFault(PublicId holder, String commit, FetchFailure failure, long nowMs) {
        CommitId.require(commit, "commit");
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        if (failure == FetchFailure.CONNECTION_LOST || failure == FetchFailure.DECLINED
                || (failure == FetchFailure.STALLED && starvation.excusesStall(now))) {
            return settled(out); // no offence: busy, declined or gone, or this node itself was starved
        }
        Penalty penalty = Penalty.of(failure);
        // "Not found" for a range of a commit it announced on its link: a claim, doubted as for its own fetch.
        if (failure == FetchFailure.NOT_FOUND && planner.claimOf(holder, commit, now) == FetchPlanner.Claim.LIVE
                && !goneClaims.doubt(holder, commit, now)) {
            penalty = Penalty.FALSE_CLAIM;
        }
        penalise(holder, penalty, now, out);
        startReady(now, out);
        return settled(out);
    }

    /**
     * This node's server sent {@code to} (by the id its fetch hello carried) the whole bundle of
     * {@code commit}: under the wants filter, the evidence that a keeper of a commit made here holds
     * a copy (see {@link Keepers}).
     */
    @Override
    public List<Effect> onServed(PublicId to, String commit, long nowMs) {
        CommitId.require(commit, "commit");
        clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        if (keepers != null) {
            keepers.served(to, commit);
        }
        return settled(out);
    }

    /** Keepers confirmed for a commit made here, on evidence (none when every bundle is fetched); for tests and diagnostics. */
    public Set<PublicId> confirmedKeepers(String commit) {
        return keepers == null ? Set.of() : keepers.confirmed(commit);
    }

    /**
     * The commits this node keeps because a neighbour named it keeper and its bundle arrived, within
     * the keep budget (empty when every bundle is fetched): what the repository keeps after its own
     * and its work's commits when it must prune.
     */
    public Set<String> keptForOthers() {
        return keepBudget == null ? Set.of() : keepBudget.kept();
    }

    /**
     * The repository gave these commits up (over its budget): they are no longer held, so the work's
     * wants and neighbours' announcements fetch them again, and no longer kept for anyone. The
     * neighbours hear it in a signed Inventory ({@code gone}): a neighbour that heard this node
     * announce one stops asking it, one that asked meanwhile and heard "not found" does not score a
     * false claim, and a maker that counted this node as a keeper names another. The most recently
     * held are told first, at most {@link #MAX_WITHDRAWN_INVENTORIES} Inventories a call, well
     * inside a neighbour's token bucket.
     */
    @Override
    public List<Effect> onDropped(Collection<String> commits, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        Set<String> recent = new java.util.HashSet<>(planner.recentlyHeld());
        List<String> given = new ArrayList<>();
        for (String commit : commits) {
            if (planner.holds(commit) && CommitId.isValid(commit)) {
                given.add(commit);
            }
            planner.unheld(commit);
            if (keepBudget != null) {
                keepBudget.release(commit);
            }
        }
        given.forEach(c -> recentlyGone.put(c, now));
        for (PublicId peer : connections.openPeers()) {
            Link link = connections.get(peer);
            link.toTell.removeAll(given); // never announce what is no longer held
            link.toKeep.removeAll(given);
        }
        given.sort(java.util.Comparator.comparing(c -> !recent.contains(c))); // recently announced first
        int per = config.maxCommitsPerInventory();
        List<PublicId> open = connections.openPeers();
        for (int i = 0; i < given.size() && i < per * MAX_WITHDRAWN_INVENTORIES && !open.isEmpty(); i += per) {
            SignedEnvelope withdrawal = signInventory(List.of(), List.of(),
                    given.subList(i, Math.min(given.size(), i + per)), List.of(), now);
            open.forEach(peer -> sendAnnouncement(peer, withdrawal, out));
        }
        return settled(out);
    }

    /**
     * This node's downloads are capped at {@code bytesPerSecond} in all (the volunteer's preference;
     * 0: none): a holder is not taken for a staller for progress the cap itself holds back.
     */
    @Override
    public void capDownloads(long bytesPerSecond) {
        planner.capDownloads(bytesPerSecond);
    }

    /** Bytes kept or reserved for keeper duties, and the budget (zeros when every bundle is fetched). */
    public KeepUsage keepUsage() {
        return keepBudget == null ? new KeepUsage(0, 0, 0, 0)
                : new KeepUsage(keepBudget.usedBytes(), keepBudget.budgetBytes(), keepBudget.declined(), keepBudget.evicted());
    }

    /** What the keep budget holds: bytes used and allowed, duties declined and kept commits given up since start. */
    public record KeepUsage(long usedBytes, long budgetBytes, long declined, long evicted) {
    }

    /** This node made or imported {@code commit} itself: hold it and announce it. */
    @Override
    public List<Effect> onLocalCommit(String commit, long nowMs) {
        return held(commit, true, nowMs);
    }

    /**
     * The repository held {@code commit} when the node started; {@code own} when this node made it
     * (its {@code refs/rhizome/own/} mark): only those get keepers named, so a restart does not
     * name keepers for every commit it fetched for others.
     */
    @Override
    public List<Effect> onHeld(String commit, boolean own, long nowMs) {
        return held(commit, own, nowMs);
    }

    private List<Effect> held(String commit, boolean own, long nowMs) {
        CommitId.require(commit, "commit");
        long now = clock.advance(nowMs);
        recentlyGone.remove(commit);
        List<Effect> out = new ArrayList<>();
        if (planner.holds(commit)) {
            return settled(out);
        }
        List<Start> pointless = new ArrayList<>();
        Set<PublicId> holders = planner.markHeld(commit, pointless);
        pointless.forEach(s -> out.add(new CancelFetch(s.from(), s.commit())));
        announceHeld(commit, holders, own, now, out);
        startReady(now, out);
        return settled(out);
    }

    /** Pushes a signed Result to a bounded fanout of neighbours; they relay it on. */
    @Override
    public List<Effect> announceResult(SignedEnvelope result, long nowMs) {
        if (!result.getType().equals(Result.getDescriptor().getFullName())) {
            throw new IllegalArgumentException("not a signed Result: " + result.getType());
        }
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        seen.firstSighting(SeenCache.idOf(result)); // so our own result coming back is a duplicate
        relay(result, Set.of(), now, out);
        return settled(out);
    }

    /** Periodic work, about once a second: stalls, redials with backoff, score decay, peer exchange, ban expiry. */
    @Override
    public List<Effect> onTick(long nowMs) {
        long now = clock.advance(nowMs);
        lastTickMs = now;
        List<Effect> out = new ArrayList<>();
        long stall = config.fetchStall().toMillis();
        if (signedSelf == null || now - signedSelfAtMs >= RESIGN_MS) {
            signedSelf = null;
            out.add(new Effect.SignedSelf(signedSelfInfo(now)));
        }
        for (PublicId peer : connections.expireDials(now - stall)) {
            dials.ended(peer, AddressDials.Outcome.FAILED, now, random);
            table.dialFailed(peer, now, random);
        }
        connections.expireClosing(now - stall);
        for (Start s : planner.stalled(now)) {
            failFetch(s.from(), s.commit(), FetchFailure.STALLED, true, now, out);
        }
        // Slow is no offence: a slow transfer moves to a faster holder, or gives its slot to a waiting fetch, at no cost.
        for (FetchPlanner.Move m : planner.slow(now)) {
            out.add(new CancelFetch(m.stopped().from(), m.stopped().commit()));
            startFetch(m.started(), out);
        }
        for (GoneClaims.Doubt d : goneClaims.due(now)) {
            penalise(d.peer(), Penalty.FALSE_CLAIM, now, out); // "not found", and no withdrawal within the grace
        }
        startReady(now, out);
        scores.sweep(now);
        for (PublicId peer : connections.openPeers()) {
            Link link = connections.get(peer);
            if (!link.toTell.isEmpty() || !link.toKeep.isEmpty()) {
                tellWaiting(peer, link, false, now, out);
            }
        }
        keepLinksAlive(now, out);
        if (now >= nextExchangeMs) {
            nextExchangeMs = now + EXCHANGE_INTERVAL_MS;
            List<PublicId> open = connections.openPeers();
            if (table.size() < config.maxKnownPeers() && !open.isEmpty()) {
                askForPeers(open.get(random.nextInt(open.size())), out);
            }
        }
        if (now >= nextSelfAnnounceMs) {
            nextSelfAnnounceMs = now + SELF_ANNOUNCE_INTERVAL_MS;
            relay(signedSelfInfo(now), Set.of(), now, out);
        }
        keepDegree(now, out);
        replicate(now, out);
        if (connections.openCount() < FEW_LINKS && now - lastFindPeersMs >= FIND_PEERS_MS) {
            lastFindPeersMs = now;
            out.add(new Effect.FindPeers());
        }
        if (rememberedChanged && now >= nextSaveMs) {
            nextSaveMs = now + SAVE_PEERS_MS;
            rememberedChanged = false;
            out.add(new Effect.SavePeers(remembered.values()));
        }
        return settled(out);
    }

    /**
     * The time by which the driver must call {@link #onTick} again (as quinn-proto's
     * {@code poll_timeout}): the next stall deadline, backed-off holder, peer exchange or self
     * announcement. Events in between may bring it forward, so a driver asks after each call.
     */
    @Override
    public long nextWakeupMs() {
        long next = Math.min(nextExchangeMs, nextSelfAnnounceMs);
        next = Math.min(next, planner.nextDeadlineMs(clock.nowMs()));
        next = Math.min(next, goneClaims.nextDeadlineMs());
        next = Math.min(next, signedSelfAtMs + RESIGN_MS);
        next = Math.min(next, lastTickMs + HOUSEKEEPING_MS); // redials, dial expiry, decay, old wants
        return Math.max(next, clock.nowMs());
    }

    public boolean holds(String commit) {
        return planner.holds(commit);
    }

    public Set<PublicId> connectedPeers() {
        return new LinkedHashSet<>(connections.openPeers());
    }

    /** Whether {@code peer} declined so often lately that it is not asked for bundles now; for tests and diagnostics. */
    public boolean isResting(PublicId peer) {
        return planner.resting(peer, clock.nowMs());
    }

    /** The peers the planner would ask for {@code commit}, the one asked now first; for tests. */
    List<PublicId> holdersOf(String commit) {
        return planner.holdersOf(commit);
    }

    public double score(PublicId peer) {
        return scores.score(peer, clock.nowMs());
    }

    /** The adapter asks this before accepting a connection or dialing. */
    @Override
    public boolean isBanned(PublicId peer, long nowMs) {
        return scores.isBanned(peer, nowMs);
    }

    public PublicId id() {
        return selfId;
    }

    public GossipStats stats() {
        Counters c = counters;
        return new GossipStats(c.messagesSent, c.announcementsSent, c.announcementsReceived, c.duplicates, c.invalid,
                c.rateLimited, c.fetchesStarted, c.fetchesCompleted, c.fetchesFailed, c.bytesFetched, c.peersBanned,
                c.peersDisconnected, seen.size(), table.size(), connections.openCount(), planner.wanted(), scores.size());
    }

    private void onAnnouncement(PublicId from, Link link, SignedEnvelope envelope, long now, List<Effect> out) {
        Outcome misshapen = check.misshapen(envelope);  // before the seen cache's digest of its bytes
        if (misshapen != null) {
            if (misshapen.penalty() != null) {
                counters.invalid++;
                penalise(from, misshapen.penalty(), now, out);
            }
            return;
        }
        if (!seen.firstSighting(SeenCache.idOf(envelope))) {
            counters.duplicates++;
            return;
        }
        Outcome outcome = check.announcement(envelope, from, now);
        if (!outcome.accepted()) {
            if (relayedOutOfWindow(outcome, envelope, from)) {
                counters.invalid++;
                return; // dropped: the signer's clock (or the relayer's lag) is at fault, not the relay
            }
            if (outcome.penalty() != null) {
                counters.invalid++;
                penalise(from, outcome.penalty(), now, out);
            }
            return;
        }
        counters.announcementsReceived++;
        if (link.closing) {
            return; // checked and scored, but not acted on
        }
        PublicId signer = PublicId.of(envelope.getSigner());
        switch (outcome.kind()) {
            case INVENTORY -> {
                Inventory inventory = (Inventory) outcome.record();
                withdrawn(from, inventory, now, out);
                boolean named = !wants.all() && inventory.getKeepList().contains(selfId.toByteString());
                Map<PublicId, List<String>> evicted = new java.util.LinkedHashMap<>();
                for (String commit : inventory.getCommitsList()) {
                    if (keepers != null) {
                        keepers.heard(from, commit); // a claim to a copy of our commit: believed only once we served it
                    }
                    // A keeper duty is taken only while the keep budget has room; declined, the
                    // commit is not fetched and its maker names another keeper after its wait.
                    boolean fetch = wants.all() || (named && !planner.holds(commit)
                            && keepBudget.take(from, commit, connections.openPeers(), now,
                                    (maker, c) -> evicted.computeIfAbsent(maker, m -> new ArrayList<>()).add(c)));
                    Start start = planner.announced(from, commit, fetch, now);
                    if (start != null) {
                        startFetch(start, out);
                    }
                    if (named && planner.holds(commit)) {
                        // named for what we hold: a maker checking on a keeper back from away hears it still does
                        link.toTell.add(commit);
                        if (link.toTell.size() >= config.maxCommitsPerInventory()) {
                            tellWaiting(from, link, true, now, out);
                        }
                    }
                }
                // Makers whose duties made room are told, so each names another keeper (if still linked).
                // In Inventories of the allowed size (one duty's room may evict many small ones), at
                // most as many as a prune's withdrawals; past that the maker still counts this node.
                int per = config.maxCommitsPerInventory();
                evicted.forEach((maker, commits) -> {
                    if (connections.get(maker) != null && !maker.equals(selfId)) {
                        for (int i = 0; i < commits.size() && i < per * MAX_WITHDRAWN_INVENTORIES; i += per) {
                            sendAnnouncement(maker, signInventory(List.of(), List.of(), List.of(),
                                    commits.subList(i, Math.min(commits.size(), i + per)), now), out);
                        }
                    }
                });
            }
            case NODE_INFO -> {
                // Relayed only while it teaches someone something: the flood dies where tables already know it.
                // Nor while another id holds its address (unless this one proved it owns it), nor while
                // dials to its host keep failing: made-up ids naming one victim's address (or its ports)
                // stop at the first node that knows one of them, or found the host dead.
                NodeInfo info = (NodeInfo) outcome.record();
                boolean contested = (table.claimedByAnother(signer, info) || dials.hostFailing(info))
                        && !signer.equals(dials.owner(info));
                if (!signer.equals(selfId) && !scores.isBanned(signer, now)
                        && table.offer(signer, info, envelope, link.remote.reach(), this::kept) && !contested) {
                    // Not to links it would be out of reach for: they drop it, and it maps our LAN for them.
                    Set<PublicId> skip = new java.util.HashSet<>(except(from, signer));
                    for (PublicId peer : connections.openPeers()) {
                        if (PeerTable.outOfReach(info, connections.get(peer).remote.reach())) {
                            skip.add(peer);
                        }
                    }
                    relay(envelope, skip, now, out);
                }
            }
            case RESULT -> {
                out.add(new ResultSeen(envelope));
                relay(envelope, except(from, signer), now, out);
            }
        }
    }

    private void onExchangeRequest(PublicId from, Link link, PeerExchangeRequest request, long now, List<Effect> out) {
        if (link.closing || now - link.exchangeAnsweredMs < EXCHANGE_ANSWER_MS) {
            return;
        }
        link.exchangeAnsweredMs = now;
        int max = request.getMax() == 0 ? EXCHANGE_SIZE : Math.min(request.getMax(), EXCHANGE_SIZE);
        List<SignedEnvelope> records = new ArrayList<>();
        records.add(signedSelfInfo(now));
        for (SignedEnvelope e : table.sample(max, link.remote.reach(), random)) {
            if (records.size() >= max) {
                break;
            }
            if (!e.getSigner().equals(from.toByteString())) {
                records.add(e);
            }
        }
        send(from, Gossip.newBuilder().setPeerExchange(PeerExchange.newBuilder().addAllNodes(records)).build(), out);
    }

    private void onExchange(PublicId from, Link link, PeerExchange exchange, long now, List<Effect> out) {
        int asked = link.exchangeAsked;
        if (link.exchangeAsks > 0 && --link.exchangeAsks == 0) {
            link.exchangeAsked = 0;
        }
        if (asked == 0) {
            penalise(from, Penalty.UNEXPECTED_MESSAGE, now, out);
            return;
        }
        if (exchange.getNodesCount() > asked) {
            counters.invalid++;
            penalise(from, Penalty.MALFORMED_MESSAGE, now, out);
            return;
        }
        for (SignedEnvelope record : exchange.getNodesList()) {
            // Another node's record dated ahead is dropped whatever its signature: not verified.
            Outcome outcome = record.getSigner().equals(from.toByteString()) ? null : check.staleBeforeVerifying(record, now, false);
            if (outcome == null) {
                outcome = checkNodeInfo(record, now);
            }
            if (relayedOutOfWindow(outcome, record, from)) {
                counters.invalid++;
                continue; // another node's record dated ahead of our clock: its clock's fault, not the sender's
            }
            if (!outcome.accepted()) {
                counters.invalid++;
                penalise(from, outcome.penalty(), now, out);
                return; // one forgery taints the rest of the message
            }
            PublicId node = PublicId.of(record.getSigner());
            if (!node.equals(selfId) && !scores.isBanned(node, now)) {
                table.offer(node, (NodeInfo) outcome.record(), record, link.remote.reach(), this::kept);
            }
        }
        keepDegree(now, out);
    }

    /**
     * A record signed by someone other than {@code from}, with a valid signature, refused only for
     * its date: {@code from} relayed it as it got it, and an honest relayer accepted it by its own
     * clock, which may differ from ours by the skew allowed (and the signer's by as much again). The
     * relayer pays nothing; the record is dropped. A peer that replays old signed records instead
     * gets nothing relayed for them and spends its own rate budget (each still costs this node one
     * signature check, bounded by the link's token bucket).
     */
    private static boolean relayedOutOfWindow(Outcome outcome, SignedEnvelope envelope, PublicId from) {
        return !outcome.accepted() && outcome.penalty() == Penalty.STALE && !envelope.getSigner().equals(from.toByteString());
    }

    /**
     * A NodeInfo from a hello or a peer exchange. The very record this node verified and keeps in
     * its table (exchanges bring the same records back every 30 s, a reconnecting peer the same
     * hello) is not verified again: each signature is still checked once by this node.
     */
    private Outcome checkNodeInfo(SignedEnvelope record, long now) {
        NodeInfo held = table.heldRecord(record);
        return held != null ? Outcome.accept(AnnouncementCheck.Kind.NODE_INFO, held) : check.nodeInfo(record, now);
    }

    private void askForPeers(PublicId peer, List<Effect> out) {
        Link link = connections.get(peer);
        link.exchangeAsked = EXCHANGE_SIZE;
        link.exchangeAsks = Math.min(link.exchangeAsks + 1, Connections.MAX_EXCHANGE_ASKS);
        send(peer, Gossip.newBuilder().setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(EXCHANGE_SIZE)).build(), out);
    }

    /** Tells the neighbours that lack it; a commit made here ({@code own}) names its keepers under the wants filter. */
    private void announceHeld(String commit, Set<PublicId> holders, boolean own, long now, List<Effect> out) {
        List<PublicId> targets = new ArrayList<>();
        for (PublicId peer : connections.openPeers()) {
            if (!holders.contains(peer)) {
                targets.add(peer);
            }
        }
        List<PublicId> named = own && keepers != null ? keepers.made(commit, targets, now) : List.of();
        if (targets.isEmpty()) {
            return;
        }
        SignedEnvelope inventory = null;
        for (PublicId peer : targets) {
            Link link = connections.get(peer);
            if (link.toTell.isEmpty() && link.toKeep.isEmpty() && paced(link, now).tryTake(1, now * 1_000_000L)) {
                if (inventory == null) {
                    inventory = signInventory(List.of(commit), named, now);
                }
                sendAnnouncement(peer, inventory, out);
            } else {
                java.util.Set<String> waiting = named.contains(peer) ? link.toKeep : link.toTell;
                waiting.add(commit);
                if (waiting.size() >= config.maxCommitsPerInventory()) {
                    tellWaiting(peer, link, true, now, out);
                }
            }
        }
    }

    private SignedEnvelope signInventory(Collection<String> commits, List<PublicId> keepers, long now) {
        return signInventory(commits, keepers, List.of(), List.of(), now);
    }

    /** An Inventory of what this node holds, names to keep, gave up ({@code gone}) and keeps no more ({@code released}). */
    private SignedEnvelope signInventory(Collection<String> commits, List<PublicId> keepers, Collection<String> gone,
                                         Collection<String> released, long now) {
        Inventory.Builder inventory = Inventory.newBuilder().setNode(selfId.toByteString()).addAllCommits(commits)
                .addAllGone(gone).addAllReleased(released).setTimeMs(now);
        keepers.forEach(k -> inventory.addKeep(k.toByteString()));
        return Envelopes.sign(self, inventory.build());
    }

    /**
     * {@code from} gave commits up or keeps them no more: it is not asked for what it gave up, a
     * "not found" of its in flight or doubted is excused (within its ration, see {@link GoneClaims}),
     * and, for commits made here, it is no longer counted as keeper, so another is named.
     */
    private void withdrawn(PublicId from, Inventory inventory, long now, List<Effect> out) {
        for (String commit : inventory.getGoneList()) {
            boolean answerAwaited = planner.isCurrent(from, commit) || goneClaims.doubted(from, commit);
            boolean excused = !answerAwaited || goneClaims.excuse(from, commit, now);
            planner.withdrawn(from, commit, !excused);
            if (keepers != null) {
                keepers.gone(from, commit, now);
            }
        }
        if (keepers != null) {
            inventory.getReleasedList().forEach(commit -> keepers.gone(from, commit, now));
            if (inventory.getGoneCount() + inventory.getReleasedCount() > 0) {
                replicate(now, out);
            }
        }
    }

    /** Forwards a flooded announcement to at most {@code degree} random neighbours, skipping {@code except}. */
    private void relay(SignedEnvelope envelope, Set<PublicId> except, long now, List<Effect> out) {
        List<PublicId> candidates = new ArrayList<>();
        for (PublicId peer : connections.openPeers()) {
            if (!except.contains(peer)) {
                candidates.add(peer);
            }
        }
        for (PublicId peer : RandomPick.some(candidates, config.degree(), random)) {
            // Relays to one link are paced at half the rate its token bucket takes from us: what a
            // rogue pours in over several links (fresh NodeInfos, or the same ones re-signed newer)
            // was relayed as fast as it came, and the honest neighbour then banned this node as a
            // flooder. Past the pace a relay is dropped for that link; the flood reaches it by others.
            if (paced(connections.get(peer), now).tryTake(1, now * 1_000_000L)) {
                sendAnnouncement(peer, envelope, out);
            }
        }
    }

    /**
     * What this node chooses to send a link (relays, announcements of what it came to hold) is paced
     * at half the rate that link's token bucket takes from us (25 a second, burst 50): a node that
     * came to hold hundreds of commits at once (an agent's import, a backlog fetched) sent an
     * Inventory per commit per link, and its honest neighbours rate-limited it to a ban.
     */
    private TokenBucket paced(Link link, long now) {
        if (link.relays == null) {
            link.relays = new TokenBucket(config.announcementsPerSecond() / 2.0, config.announcementBurst() / 4.0,
                    now * 1_000_000L);
        }
        return link.relays;
    }

    /**
     * Announcements past a link's pace wait there, and go out together, one Inventory of the held
     * commits and one of those the peer is named to keep, as soon as the pace allows (each tick), or
     * at once when {@code force} (a full Inventory's worth waits).
     */
    private void tellWaiting(PublicId peer, Link link, boolean force, long now, List<Effect> out) {
        long nanos = now * 1_000_000L;
        if (!link.toKeep.isEmpty() && (paced(link, now).tryTake(1, nanos) || force)) {
            sendAnnouncement(peer, signInventory(List.copyOf(link.toKeep), List.of(peer), now), out);
            link.toKeep.clear();
        }
        if (!link.toTell.isEmpty() && (paced(link, now).tryTake(1, nanos) || force)) {
            sendAnnouncement(peer, signInventory(List.copyOf(link.toTell), List.of(), now), out);
            link.toTell.clear();
        }
    }

    /**
     * The idle rule and the keepalive: a link whose peer sent nothing for {@link #LINK_IDLE_MS} is
     * closed; one we sent nothing on for {@link #KEEPALIVE_MS} gets a PeerExchangeRequest for one
     * record, which every node (this version or an older one) answers without cost to either.
     */
    private void keepLinksAlive(long now, List<Effect> out) {
        for (PublicId peer : connections.openPeers()) {
            Link link = connections.get(peer);
            if (now - link.heardMs >= LINK_IDLE_MS) {
                link.closing = true;
                link.closingSinceMs = now;
                counters.peersDisconnected++;
                out.add(Disconnect.routine(peer, "idle: no message for " + (now - link.heardMs) / 1000 + " s"));
            } else if (link.unreadSinceMs != Long.MAX_VALUE && now - link.unreadSinceMs >= UNREAD_MS) {
                link.closing = true;
                link.closingSinceMs = now;
                counters.peersDisconnected++;
                out.add(Disconnect.routine(peer, "reads nothing: our messages were over the write mark for "
                        + (now - link.unreadSinceMs) / 1000 + " s"));
            } else if (now - link.sentMs >= KEEPALIVE_MS) {
                link.exchangeAsked = Math.max(link.exchangeAsked, 1);
                link.exchangeAsks = Math.min(link.exchangeAsks + 1, Connections.MAX_EXCHANGE_ASKS);
                send(peer, Gossip.newBuilder().setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(1)).build(), out);
            }
        }
    }

    @Override
    public List<Effect> onWritable(PublicId peer, boolean writable, long nowMs) {
        clock.advance(nowMs);
        Link link = connections.get(peer);
        if (link != null) {
            link.unreadSinceMs = writable ? Long.MAX_VALUE : Math.min(link.unreadSinceMs, clock.nowMs());
        }
        return settled(new ArrayList<>());
    }

    private static Set<PublicId> except(PublicId from, PublicId signer) {
        return from.equals(signer) ? Set.of(from) : Set.of(from, signer);
    }

    private void sendAnnouncement(PublicId to, SignedEnvelope envelope, List<Effect> out) {
        counters.announcementsSent++;
        send(to, Gossip.newBuilder().setAnnouncement(envelope).build(), out);
    }

    private void send(PublicId to, Gossip message, List<Effect> out) {
        Link link = connections.get(to);
        if (link != null) {
            link.sentMs = clock.nowMs();
        }
        counters.messagesSent++;
        out.add(new Send(to, message));
    }

    private void startFetch(Start start, List<Effect> out) {
        counters.fetchesStarted++;
        List<PeerAddressing> holders = new ArrayList<>();
        PeerAddressing first = address(start.from());
        if (first != null) {
            holders.add(first);
            for (PublicId other : planner.queued(start.commit())) {
                PeerAddressing where = address(other);
                if (where != null && !where.info().getHost().isEmpty() && !other.equals(start.from())) {
                    holders.add(where);
                }
            }
        }
        out.add(new Fetch(start.from(), start.commit(), holders));
    }

    /**
     * Where to reach {@code peer}: its hello, the peer table, or the work's hints. A linked peer
     * whose hello named an address out of the link's reach is given without a host (the driver
     * must not fall back to that hello's address): nowhere to fetch from, a lost connection.
     */
    private PeerAddressing address(PublicId peer) {
        Link link = connections.get(peer);
        if (link != null && link.info != null) {
            if (link.info.getHost().isEmpty()) {
                PeerAddressing configured = hinted.get(peer);
                return configured != null ? configured : new PeerAddressing(link.info, link.remote.reach());
            }
            return new PeerAddressing(link.info, link.remote.reach());
        }
        PeerAddressing known = table.addressing(peer);
        if (known != null && !known.info().getHost().isEmpty()) {
            return known;
        }
        return hinted.get(peer);  // the work's peers, from the coordinator: judged by its reach
    }

    private void failFetch(PublicId from, String commit, FetchFailure failure, boolean cancel, long now, List<Effect> out) {
        if (!planner.isCurrent(from, commit)) {
            return; // a fetch we already gave up on
        }
        counters.fetchesFailed++;
        if (cancel) {
            out.add(new CancelFetch(from, commit));
        }
        boolean mayRetry = failure == FetchFailure.STALLED || failure == FetchFailure.CONNECTION_LOST;
        Penalty penalty = Penalty.of(failure);
        FetchPlanner.Claim claim = failure == FetchFailure.NOT_FOUND ? planner.claimOf(from, commit, now) : FetchPlanner.Claim.NONE;
        // A claim made on a link that has ended: the peer may have given the commit up while unlinked
        // (more than its greeting names), so it is excused from the ration withdrawals draw on; past
        // that ration (a peer re-linking to end its lies) it is doubted as a live claim is.
        boolean doubted = claim == FetchPlanner.Claim.LIVE
                || (claim == FetchPlanner.Claim.LAPSED && !goneClaims.excuse(from, commit, now));
        if (doubted && !goneClaims.doubt(from, commit, now)) {
            penalty = Penalty.FALSE_CLAIM; // too many doubts held: scored at once
        } // else a false claim unless the peer withdraws the commit within the grace (it may have just pruned it)
        Start next = planner.failed(from, commit, mayRetry, failure == FetchFailure.DECLINED, now);
        if (next != null) {
            startFetch(next, out);
        }
        giveUpIfExhausted(commit, "every holder failed, last " + failure, out);
        penalise(from, penalty, now, out);
        startReady(now, out);
    }

    private void giveUpIfExhausted(String commit, String reason, List<Effect> out) {
        if (planner.exhausted(commit)) {
            planner.drop(commit);
            out.add(new Effect.Unavailable(commit, reason));
        }
    }

    /**
     * Drops a Fetch that a later effect of the same step cancels (its peer was banned a moment later,
     * or the commit arrived), and a Dial to a peer disconnected later in the step: the adapter would
     * otherwise open a connection to a peer it just banned. Then asks for a wakeup if the deadline moved.
     */
    private List<Effect> settled(List<Effect> out) {
        Set<CancelFetch> cancels = new java.util.HashSet<>();
        Set<PublicId> disconnected = new java.util.HashSet<>();
        for (int i = out.size() - 1; i >= 0; i--) {
            Effect e = out.get(i);
            if (e instanceof CancelFetch c) {
                cancels.add(c);
            } else if (e instanceof Disconnect d) {
                disconnected.add(d.peer());
            } else if (e instanceof Fetch f && cancels.remove(new CancelFetch(f.from(), f.commit()))) {
                out.set(i, null);
                // its CancelFetch stays: harmless for a fetch that never started, and the adapter forgets it
            } else if (e instanceof Dial d && disconnected.contains(PublicId.of(d.peer().getNode()))) {
                out.set(i, null); // dialled, then banned in the same step: its Disconnect stays, as harmless
            }
        }
        out.removeIf(java.util.Objects::isNull);
        long wakeup = nextWakeupMs();
        if (wakeup != wakeupAskedMs) {
            wakeupAskedMs = wakeup;
            out.add(new Effect.Wakeup(wakeup));
        }
        return out;
    }

    private void startReady(long now, List<Effect> out) {
        for (Start s : planner.ready(now)) {
            startFetch(s, out);
        }
        for (String commit : planner.exhaustedNeeded()) {
            giveUpIfExhausted(commit, "no usable holder left", out);
        }
    }

    private void penalise(PublicId peer, Penalty penalty, long now, List<Effect> out) {
        if (penalty.weight == 0) {
            return;
        }
        switch (scores.penalise(peer, penalty, now)) {
            case BAN -> ban(peer, penalty, now, out);
            case DISCONNECT -> disconnect(peer, "score " + Math.round(scores.score(peer, now)) + " after " + penalty, now, out);
            case KEEP -> { }
        }
    }

    private void ban(PublicId peer, Penalty penalty, long now, List<Effect> out) {
        counters.peersBanned++;
        goneClaims.forget(peer);
        table.remove(peer);
        hinted.remove(peer);
        if (remembered.remove(peer) != null) {
            rememberedChanged = true;
        }
        for (Start s : planner.forget(peer)) {
            out.add(new CancelFetch(s.from(), s.commit()));
            counters.fetchesFailed++;
            Start next = planner.failed(peer, s.commit(), false, now);
            if (next != null) {
                startFetch(next, out);
            }
            giveUpIfExhausted(s.commit(), "its holder was banned after " + penalty, out);
        }
        startReady(now, out);
        disconnect(peer, "banned after " + penalty, now, out);
    }

    private void disconnect(PublicId peer, String reason, long now, List<Effect> out) {
        Link link = connections.get(peer);
        boolean dialing = connections.dialEnded(peer);
        if (dialing) {
            dials.ended(peer, AddressDials.Outcome.UNKNOWN, now, random);
        }
        if ((link != null && !link.closing) || dialing) {
            if (link != null) {
                link.closing = true;
                link.closingSinceMs = now;
            }
            counters.peersDisconnected++;
            out.add(new Disconnect(peer, reason));
            keepDegree(now, out);
        }
    }

    /** Dials until the degree is reached and at least the outbound quota of connections are our own choice. */
    private void keepDegree(long now, List<Effect> out) {
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
    private boolean kept(PublicId id) {
        if (connections.isBusy(id)) {
            return true;
        }
        NodeInfo info = table.info(id);
        return info != null && id.equals(dials.owner(info));
    }
}
