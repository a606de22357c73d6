package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

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
 *
 * <p>This class is the facade: it advances the clock, hands each event to the collaborator whose
 * job it is, and settles the step's effects ({@link #settled}). The state the collaborators share
 * comes in three groups, each saying who writes what: {@link Self} (id, settings, random source,
 * counters), {@link Peers} (links, peer table, scores, dial outcomes; each link's parts are defined
 * and written by one class: {@link LinkLiveness.Times}, {@link Outbox.Waiting},
 * {@link PeerExchanges.Asks}) and {@link Bundles} (wants policy, planner, "not found" answers
 * awaiting withdrawals, keepers, keep budget). Each collaborator does one job:
 * {@link LinkLifecycle} (a link admitted, resolved, greeted, closed), {@link LinkLiveness}
 * (keepalive and idle links), {@link InboundAnnouncements} (checked, then handed to
 * {@link InboundInventories} or {@link RecordRelays}), {@link PeerExchanges}, {@link Holdings} (a
 * commit held, fetched or wanted), {@link Announcer} (what this node holds, told), {@link Outbox}
 * (sending and pacing), {@link FetchStarter} and {@link FetchFaults} (the planner's decisions and
 * failures as effects), {@link HolderAddresses}, {@link Discipline} (penalties, bans,
 * disconnects), {@link Dialer}, {@link NodeInfoCheck}, {@link RememberedPeers}, {@link SelfSigner}
 * and {@link SelfAnnouncer}.
 */
public final class GossipCore implements PeerProtocol {
    /** Bundle transfers the core hands out at once; the adapter should run as many in parallel. */
    public static final int MAX_CONCURRENT_FETCHES = FetchSlots.MAX_ACTIVE;
    /**
     * The longest the core sleeps: redials, expired dials, score decay and forgetting old wants are
     * checked this often. Every other deadline (a stall, a backed-off holder) is asked for exactly.
     */
    static final long HOUSEKEEPING_MS = 1_000;
    /**
     * How far the wall clock may move against the core's own before the hello is re-signed: NTP
     * slews by at most 0.5 ms a second, so only a step (or hours of drift) reaches it.
     */
    static final long WALL_STEP_MS = 1_000;

    private final Self self;
    private final Peers peers;
    private final Bundles bundles;
    // State the collaborators share, in three groups (each names who writes what).
    private final CoreClock clock = new CoreClock();
    private final SeenCache seen;
    /** This node's own starvation lately ({@link #onStarved}): when a reported stall is its fault, not the holder's. */
    private final Starvation starvation;
    private final RememberedPeers remembered = new RememberedPeers();

    // The collaborators, each with one job.
    private final SelfSigner selfSigner;
    private final HolderAddresses addresses;
    private final FetchStarter fetches;
    private final Outbox outbox;
    private final SelfAnnouncer selfAnnouncer;
    private final Announcer announcer;
    private final Holdings holdings;
    private final Dialer dialer;
    private final Discipline discipline;
    private final PeerExchanges exchanges;
    private final LinkLiveness liveness;
    private final InboundAnnouncements inbound;
    private final LinkLifecycle links;
    private final FetchFaults fetchFaults;

    private long lastTickMs;
    /** The wakeup the adapter was last asked for; a new Wakeup is emitted when the deadline moves. */
    private long wakeupAskedMs = Long.MIN_VALUE;

    public GossipCore(Identity self, NodeInfo selfInfo, GossipConfig config, Random random, SignatureCheck signatures) {
        this(self, selfInfo, config, random, signatures, Wants.everything());
    }

    /** @param wants which announced bundles to fetch unasked: all of them, or the work's and those it is named to keep */
    public GossipCore(Identity self, NodeInfo selfInfo, GossipConfig config, Random random, SignatureCheck signatures,
                      Wants wants) {
        this(self, selfInfo, config, random, signatures, wants, GossipNetwork.unnamed());
    }

    /** @param network the network this node's records name, and peers' records must name when they name one */
    public GossipCore(Identity self, NodeInfo selfInfo, GossipConfig config, Random random, SignatureCheck signatures,
                      Wants wants, GossipNetwork network) {
        Objects.requireNonNull(wants, "wants");
        this.selfSigner = new SelfSigner(self, selfInfo, config, network, clock);
        this.self = new Self(selfSigner.id(), config, random, new Counters());
        this.peers = new Peers(new Connections(), new PeerTable(config, selfInfo), new PeerScores(config), new AddressDials(config));
        this.bundles = Bundles.of(wants, config);
        this.seen = new SeenCache(config, clock);
        AnnouncementCheck check = new AnnouncementCheck(config, signatures, network, clock);
        this.starvation = new Starvation(config.fetchStall().toMillis());
        this.addresses = new HolderAddresses(peers);
        this.fetches = new FetchStarter(this.self, bundles, addresses, clock);
        this.outbox = new Outbox(this.self, clock, peers, selfSigner);
        this.selfAnnouncer = new SelfAnnouncer(selfSigner, outbox);
        this.announcer = new Announcer(this.self, peers, bundles, selfSigner, outbox);
        this.holdings = new Holdings(this.self, peers, bundles, fetches, announcer);
        this.dialer = new Dialer(this.self, peers);
        NodeInfoCheck nodeInfos = new NodeInfoCheck(check, peers);
        this.discipline = new Discipline(this.self, peers, bundles, addresses, remembered, fetches, dialer);
        this.exchanges = new PeerExchanges(this.self, peers, selfSigner, check, nodeInfos, outbox, discipline, dialer);
        this.liveness = new LinkLiveness(this.self, peers, exchanges);
        this.inbound = new InboundAnnouncements(this.self, seen, check, discipline,
                new InboundInventories(this.self, peers, bundles, fetches, selfSigner, outbox, announcer),
                new RecordRelays(this.self, peers, dialer, outbox));
        this.links = new LinkLifecycle(this.self, peers, bundles, nodeInfos, remembered, exchanges, announcer, discipline, dialer);
        this.fetchFaults = new FetchFaults(this.self, bundles, starvation, fetches, discipline, addresses);
    }

    /** A factory for the network driver: a core per node, verifying every signature, with a strong random source. */
    public static Function<NodeInfo, PeerProtocol> factory(Identity identity, GossipConfig config) {
        return factory(identity, config, Wants.everything());
    }

    /** {@link #factory(Identity, GossipConfig)} with a wants policy. */
    public static Function<NodeInfo, PeerProtocol> factory(Identity identity, GossipConfig config, Wants wants) {
        return factory(identity, config, wants, GossipNetwork.unnamed());
    }

    /** {@link #factory(Identity, GossipConfig, Wants)} on a network (a node's: its coordinator's). */
    public static Function<NodeInfo, PeerProtocol> factory(Identity identity, GossipConfig config, Wants wants,
            GossipNetwork network) {
        return self -> new GossipCore(identity, self, config, new SecureRandom(), SignatureCheck.envelopes(),
                wants, network);
    }

    /** This node's NodeInfo signed for the Hello; re-signed once it is half a seen window old, so it is always fresh. */
    @Override
    public SignedEnvelope signedSelfInfo(long nowMs) {
        return selfSigner.selfInfo(clock.advance(nowMs));
    }

    /** Learns the bootstrap peers (from the coordinator, or remembered) and dials up to the degree. */
    @Override
    public List<Effect> start(List<NodeInfo> bootstrap, long nowMs) {
        long now = clock.advance(nowMs);
        // Remembered records came by links of any reach (peers.bin keeps no reach): each is taken at its
        // own word, a literal as what it is, a name as its suffix says (any other name: the internet).
        dialer.offerAll(bootstrap, info -> PeerAddress.reach(info.getHost()));
        exchanges.started(now);
        selfAnnouncer.started(now, self.random());
        lastTickMs = now;
        remembered.started(now);
        List<Effect> out = new ArrayList<>();
        out.add(new Effect.SignedSelf(selfSigner.hello(now)));
        dialer.findPeers(now, out);
        dialer.keepDegree(now, out);
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
        dialer.offerListed(peers, info -> learntOver);
        List<Effect> out = new ArrayList<>();
        dialer.keepDegree(now, out);
        return settled(out);
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
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        links.connected(peer, peerInfo, verified, outbound, remote, now, out);
        return settled(out);
    }

    /** The tie-break for two links to one peer, the same at both ends (see {@link LinkLifecycle#keepsNewLink}). */
    boolean keepsNewLink(PublicId peer, boolean existingOutbound, boolean newOutbound) {
        return links.keepsNewLink(peer, existingOutbound, newOutbound);
    }

    @Override
    public List<Effect> onLinkGoneBeforeUp(PublicId peer, LinkEnd remote, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        links.goneBeforeUp(peer, remote, now, out);
        return settled(out);
    }

    /** An inbound handshake from {@code remote} ended after our hello and before the peer's valid proof: counted as churn. */
    @Override
    public List<Effect> onHandshakeAbandoned(LinkEnd remote, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        links.handshakeAbandoned(remote, now, out);
        return settled(out);
    }

    /** The connection to {@code peer} closed (or a dial to it failed). */
    @Override
    public List<Effect> onDisconnected(PublicId peer, long nowMs) {
        long now = clock.advance(nowMs);
        links.disconnected(peer, now);
        dialer.linkLost();
        List<Effect> out = new ArrayList<>();
        dialer.keepDegree(now, out);
        return settled(out);
    }

    /** A Dial effect could not connect (refused, unreachable, handshake failed). */
    @Override
    public List<Effect> onDialFailed(PublicId peer, long nowMs) {
        long now = clock.advance(nowMs);
        dialer.dialFailed(peer, now);
        List<Effect> out = new ArrayList<>();
        dialer.keepDegree(now, out);
        return settled(out);
    }

    /**
     * A Dial effect reached an address where another key proved itself: the dialled id's record
     * lied (made-up ids naming a live node's address) or is out of date, and the address is the
     * answerer's. Counted as a failed dial, it backed off a live node's address and its own
     * record's dials with it, after every made-up id naming it.
     */
    @Override
    public List<Effect> onDialAnsweredByAnother(PublicId peer, PublicId answerer, long nowMs) {
        long now = clock.advance(nowMs);
        dialer.dialAnsweredByAnother(peer, answerer, now);
        List<Effect> out = new ArrayList<>();
        dialer.keepDegree(now, out);
        return settled(out);
    }

    /** A gossip message from a connected peer: rate-limited, de-duplicated, verified, time-checked, scored. */
    @Override
    public List<Effect> onMessage(PublicId from, Gossip message, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        Link link = peers.connections().get(from);
        if (link == null) {
            return settled(out); // raced with a close we already handled
        }
        link.times.heard(now);
        if (!link.admits(now)) {
            self.counters().rateLimited++;
            discipline.penalise(from, Penalty.RATE_LIMITED, now, out);
            return settled(out);
        }
        switch (message.getBodyCase()) {
            case ANNOUNCEMENT -> inbound.onAnnouncement(from, link, message.getAnnouncement(), now, out);
            case PEER_EXCHANGE_REQUEST -> exchanges.onRequest(from, link, message.getPeerExchangeRequest(), now, out);
            case PEER_EXCHANGE -> exchanges.onExchange(from, link, message.getPeerExchange(), now, out);
            case BODY_NOT_SET -> {
                // A body this version does not know (a newer node's, as an announcement of an unknown
                // type; the driver hands a PeerMessage body it does not know here too) is dropped at no
                // cost, within the link's rate; an empty message, or fields no kind is made of, is malformed.
                if (NewerKind.is(message.getUnknownFields())) {
                    self.counters().newerKinds++;
                } else {
                    self.counters().invalid++;
                    discipline.penalise(from, Penalty.MALFORMED_MESSAGE, now, out);
                }
            }
        }
        return settled(out);
    }

    /** Wire-level misbehaviour the adapter caught (bad frame, oversized frame, a message out of place). */
    @Override
    public List<Effect> onViolation(PublicId from, Violation violation, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        discipline.penalise(from, Penalty.of(violation), now, out);
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
        bundles.planner().stallClock().starved(Math.max(0, lateMs), now);
        // A stall the transfer itself reports (the adapter's own progress rule, run late) may be excused too.
        starvation.starved(lateMs, now);
        return List.of();
    }

    /** The fetch is making progress ({@code bytesSoFar} received): it is not stalled. */
    @Override
    public List<Effect> onFetchProgress(PublicId from, String commit, long bytesSoFar, long nowMs) {
        bundles.planner().stallClock().progress(from, commit, bytesSoFar, clock.advance(nowMs));
        return List.of();
    }

    /** A bundle was fetched, verified and imported: now held, so announce it to the neighbours that lack it. */
    @Override
    public List<Effect> onFetched(PublicId from, String commit, long bytes, long nowMs) {
        return onFetched(from, commit, bytes, true, nowMs);
    }

    /**
     * As {@link #onFetched(PublicId, String, long, long)}; with {@code stillHeld} false the
     * repository gave the commit up between its import and this report (a prune that ran first, so
     * its withdrawal named a commit this core did not hold yet): the holder is credited and the
     * fetch ends, but the commit is neither held nor announced.
     */
    @Override
    public List<Effect> onFetched(PublicId from, String commit, long bytes, boolean stillHeld, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        holdings.fetched(from, commit, bytes, stillHeld, now, out);
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
        holdings.want(commit, hints, now, out);
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
        return want(commit, addresses.hint(holders, learntOver), nowMs);
    }

    /** The node stops: what must outlive it (the peers to rejoin through). */
    @Override
    public List<Effect> stop(long nowMs) {
        List<Effect> out = new ArrayList<>();
        remembered.stop(out);
        return out;
    }

    /** A fetch failed: the peer pays according to the kind of failure and the next holder is asked. */
    @Override
    public List<Effect> onFetchFailed(PublicId from, String commit, FetchFailure failure, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        fetchFaults.failed(from, commit, failure, now, out);
        return settled(out);
    }

    /** A fetch was answered BUSY with a hint: no fault, the next holder is asked, and this one not before the hint. */
    @Override
    public List<Effect> onFetchBusy(PublicId from, String commit, long retryAfterMs, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        fetchFaults.busy(from, commit, retryAfterMs, now, out);
        return settled(out);
    }

    /** A holder asked for pieces answered BUSY with a hint: no fault, and it is not asked again before the hint. */
    @Override
    public List<Effect> onHolderBusy(PublicId holder, String commit, long retryAfterMs, long nowMs) {
        CommitId.require(commit, "commit");
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        fetchFaults.holderBusy(holder, retryAfterMs, now);
        return settled(out);
    }

    /**
     * A holder other than the fetch's own peer failed its part: it pays as for a fetch of its own. A
     * stall told without its silence's start was judged over one stall period, so silent since then.
     */
    @Override
    public List<Effect> onHolderFault(PublicId holder, String commit, FetchFailure failure, long nowMs) {
        return onHolderFault(holder, commit, failure, nowMs - self.config().fetchStall().toMillis(), nowMs);
    }

    /** A holder other than the fetch's own peer failed its part; a stall is one per silence, as for a fetch of its own. */
    @Override
    public List<Effect> onHolderFault(PublicId holder, String commit, FetchFailure failure, long silentSinceMs, long nowMs) {
        CommitId.require(commit, "commit");
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        fetchFaults.holderFault(holder, commit, failure, silentSinceMs, now, out);
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
        if (bundles.filtered()) {
            bundles.keepers().served(to, commit);
        }
        return settled(out);
    }

    /** Keepers confirmed for a commit made here, on evidence (none when every bundle is fetched); for tests and diagnostics. */
    public Set<PublicId> confirmedKeepers(String commit) {
        return bundles.filtered() ? bundles.keepers().confirmed(commit) : Set.of();
    }

    /**
     * The commits this node keeps because a neighbour named it keeper and its bundle arrived, within
     * the keep budget (empty when every bundle is fetched): what the repository keeps after its own
     * and its work's commits when it must prune.
     */
    public Set<String> keptForOthers() {
        return bundles.filtered() ? bundles.keepBudget().kept() : Set.of();
    }

    /**
     * The repository gave these commits up (over its budget): they are no longer held, so the work's
     * wants and neighbours' announcements fetch them again, and no longer kept for anyone. The
     * neighbours hear it in a signed Inventory ({@code gone}): a neighbour that heard this node
     * announce one stops asking it, one that asked meanwhile and heard "not found" does not score a
     * false claim, and a maker that counted this node as a keeper names another. The most recently
     * held are told first, at most {@link Announcer#MAX_WITHDRAWN_INVENTORIES} Inventories a call, well
     * inside a neighbour's token bucket.
     */
    @Override
    public List<Effect> onDropped(Collection<String> commits, long nowMs) {
        long now = clock.advance(nowMs);
        List<Effect> out = new ArrayList<>();
        announcer.dropped(commits, now, out);
        return settled(out);
    }

    /**
     * This node's downloads are capped at {@code bytesPerSecond} in all (the volunteer's preference;
     * 0: none): a holder is not taken for a staller for progress the cap itself holds back.
     */
    @Override
    public void capDownloads(long bytesPerSecond) {
        bundles.planner().capDownloads(bytesPerSecond);
    }

    /** Bytes kept or reserved for keeper duties, and the budget (zeros when every bundle is fetched). */
    public KeepUsage keepUsage() {
        KeepBudget budget = bundles.keepBudget();
        return budget == null ? new KeepUsage(0, 0, 0, 0)
                : new KeepUsage(budget.usedBytes(), budget.budgetBytes(), budget.declined(), budget.evicted());
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
        List<Effect> out = new ArrayList<>();
        holdings.held(commit, own, now, out);
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
        outbox.relay(result, Set.of(), now, out);
        return settled(out);
    }

    /**
     * The wall clock reads {@code wallMs} at the core's {@code nowMs}: records are dated and judged by
     * it from now on, while every timer keeps running on {@code nowMs}. A step of it (more than
     * {@link #WALL_STEP_MS} since the last reading: a correction, a suspended machine, a volunteer
     * setting the time) has the hello re-signed at once, since its date is the old clock's.
     */
    @Override
    public List<Effect> onWallClock(long wallMs, long nowMs) {
        long now = clock.advance(nowMs);
        long moved = clock.wallClock(wallMs, now);
        if (moved != 0) {
            peers.connections().wallClockMoved(moved);
        }
        if (Math.abs(moved) < WALL_STEP_MS) {
            return List.of();  // told before every step: the usual answer costs nothing
        }
        List<Effect> out = new ArrayList<>();
        out.add(new Effect.SignedSelf(selfSigner.resignedForStep(now)));
        return settled(out);
    }

    /** Periodic work, about once a second: stalls, redials with backoff, score decay, peer exchange, ban expiry. */
    @Override
    public List<Effect> onTick(long nowMs) {
        long now = clock.advance(nowMs);
        lastTickMs = now;
        List<Effect> out = new ArrayList<>();
        long stall = self.config().fetchStall().toMillis();
        SignedEnvelope resigned = selfSigner.resignedIfDue(now);
        if (resigned != null) {
            out.add(new Effect.SignedSelf(resigned));
        }
        dialer.expireDials(now, stall, out);
        dialer.cancelSlowDials(now, out);
        peers.connections().expireClosing(now - stall);
        fetchFaults.sweep(now, out);
        peers.scores().sweep(now);
        outbox.tellAllWaiting(now, out);
        liveness.tick(now, out);
        exchanges.tick(now, out);
        selfAnnouncer.tick(now, out);
        dialer.keepDegree(now, out);
        announcer.replicate(now, out);
        dialer.findPeersIfFew(now, out);
        remembered.saveIfDue(now, out);
        return settled(out);
    }

    /**
     * The time by which the driver must call {@link #onTick} again (as quinn-proto's
     * {@code poll_timeout}): the next stall deadline, backed-off holder, peer exchange or self
     * announcement. Events in between may bring it forward, so a driver asks after each call.
     */
    @Override
    public long nextWakeupMs() {
        long next = Math.min(exchanges.nextExchangeMs(), selfAnnouncer.nextAnnounceMs());
        next = Math.min(next, bundles.planner().nextDeadlineMs(clock.nowMs()));
        next = Math.min(next, bundles.goneClaims().nextDeadlineMs());
        next = Math.min(next, selfSigner.nextResignMs());
        next = Math.min(next, lastTickMs + HOUSEKEEPING_MS); // redials, dial expiry, decay, old wants
        return Math.max(next, clock.nowMs());
    }

    public boolean holds(String commit) {
        return bundles.held().holds(commit);
    }

    public Set<PublicId> connectedPeers() {
        return new LinkedHashSet<>(peers.connections().openPeers());
    }

    /** How many peers' clocks are measured now (one measure a peer, none past its links); for tests. */
    int clocksMeasured() {
        return peers.connections().clocksMeasured();
    }

    /** Whether {@code peer} declined so often lately that it is not asked for bundles now; for tests and diagnostics. */
    public boolean isResting(PublicId peer) {
        return bundles.planner().resting(peer, clock.nowMs());
    }

    /** The peers the planner would ask for {@code commit}, the one asked now first; for tests. */
    List<PublicId> holdersOf(String commit) {
        return bundles.planner().holdersOf(commit);
    }

    public double score(PublicId peer) {
        return peers.scores().score(peer, clock.nowMs());
    }

    /** The adapter asks this before accepting a connection or dialing. */
    @Override
    public boolean isBanned(PublicId peer, long nowMs) {
        return peers.scores().isBanned(peer, nowMs);
    }

    public PublicId id() {
        return self.id();
    }

    public GossipStats stats() {
        Counters c = self.counters();
        return new GossipStats(c.messagesSent, c.announcementsSent, c.announcementsReceived, c.duplicates, c.invalid,
                c.rateLimited, c.fetchesStarted, c.fetchesCompleted, c.fetchesFailed, c.bytesFetched, c.peersBanned,
                c.peersDisconnected, seen.size(), peers.table().size(), peers.connections().openCount(), bundles.planner().wanted(),
                peers.scores().size(), c.newerKinds);
    }

    @Override
    public List<Effect> onWritable(PublicId peer, boolean writable, long nowMs) {
        clock.advance(nowMs);
        liveness.writable(peer, writable, clock.nowMs());
        return settled(new ArrayList<>());
    }

    /**
     * Drops a Fetch that a later effect of the same step cancels (its peer was banned a moment later,
     * or the commit arrived), and a Dial to a peer disconnected later in the step: the adapter would
     * otherwise open a connection to a peer it just banned. Then asks for a wakeup if the deadline moved.
     */
    private List<Effect> settled(List<Effect> out) {
        SignedEnvelope renamed = selfSigner.helloIfNetworkLearnt(clock.nowMs());
        if (renamed != null) {
            out.add(0, new Effect.SignedSelf(renamed)); // first: before any link this step opens says hello
        }
        Set<CancelFetch> cancels = new HashSet<>();
        Set<PublicId> disconnected = new HashSet<>();
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
        out.removeIf(Objects::isNull);
        long wakeup = nextWakeupMs();
        if (wakeup != wakeupAskedMs) {
            wakeupAskedMs = wakeup;
            out.add(new Effect.Wakeup(wakeup));
        }
        return out;
    }
}
