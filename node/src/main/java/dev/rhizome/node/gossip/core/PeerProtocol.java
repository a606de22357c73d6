package dev.rhizome.node.gossip.core;

import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * What the network driver ({@code gossip.net.GossipService}) drives: the {@link GossipCore}, or a
 * baseline that a benchmark compares it with over the very same sockets. The driver calls it from
 * one thread only and executes the effects it returns.
 */
public interface PeerProtocol {
    /** This node's NodeInfo, signed now, for the hello of each new link. */
    SignedEnvelope signedSelfInfo(long nowMs);

    /** First call: where to start dialling. */
    List<Effect> start(List<NodeInfo> bootstrap, long nowMs);

    /** More peers to try, e.g. from the coordinator while this node has too few links. */
    List<Effect> learn(List<NodeInfo> peers, long nowMs);

    /**
     * As {@link #learn(List, long)}, for peers from a source of reach {@code learntOver} (the
     * coordinator's: {@code api.CoordinatorReach}): an address narrower than it is not kept, and a
     * name is dialled only where it resolves no narrower. The overload without it trusts the list as
     * configured (the simulations and tests, on loopback). A baseline may ignore it.
     */
    default List<Effect> learn(List<NodeInfo> peers, PeerAddress.Reach learntOver, long nowMs) {
        return learn(peers, nowMs);
    }

    /** A link passed the handshake: {@code peerInfo} is the peer's NodeInfo, signed by it. */
    List<Effect> onConnected(PublicId peer, SignedEnvelope peerInfo, boolean outbound, long nowMs);

    /**
     * As {@link #onConnected(PublicId, SignedEnvelope, boolean, long)}, for a NodeInfo whose
     * signature the link handshake already verified ({@link LinkHandshake#peerInfo()}): a protocol
     * may skip checking that signature again, and, since the handshake proved the peer answered our
     * nonce, may admit the link when the record is dated outside the window (the peer's clock, or
     * ours, is off) while keeping the record from its peer table.
     */
    default List<Effect> onConnected(PublicId peer, Verified<NodeInfo> peerInfo,
            boolean outbound, long nowMs) {
        return onConnected(peer, peerInfo.envelope(), outbound, nowMs);
    }

    /**
     * As {@link #onConnected(PublicId, dev.rhizome.protocol.envelope.Verified, boolean, long)}, for a
     * link whose remote end is {@code remote} (what the driver sees of the socket): the addresses the
     * peer hands on, in its hello and after, are learnt only if they reach no narrower (a peer on the
     * internet may not have this node dial its own LAN), and inbound slots are shared among remote
     * addresses. The overloads without it are for links over loopback (the simulations and tests:
     * any address may be learnt, and every link is at one address).
     */
    default List<Effect> onConnected(PublicId peer, Verified<NodeInfo> peerInfo,
            boolean outbound, LinkEnd remote, long nowMs) {
        return onConnected(peer, peerInfo, outbound, nowMs);
    }

    /** A Dial effect ended without a link. */
    List<Effect> onDialFailed(PublicId peer, long nowMs);

    /**
     * A Dial effect reached {@code peer}'s address and {@code answerer} proved its own key there: no
     * link, but the address is live and not {@code peer}'s. A baseline may count it a failed dial.
     */
    default List<Effect> onDialAnsweredByAnother(PublicId peer, PublicId answerer, long nowMs) {
        return onDialFailed(peer, nowMs);
    }

    /**
     * The link's outbound buffer went over its write mark ({@code writable} false: what is sent
     * meanwhile is dropped) or back under it. A baseline may ignore it.
     */
    default List<Effect> onWritable(PublicId peer, boolean writable, long nowMs) {
        return List.of();
    }

    /** A link closed, from either side, that the protocol did not ask to close. */
    List<Effect> onDisconnected(PublicId peer, long nowMs);

    /**
     * An inbound link passed the handshake from {@code remote} but closed before the protocol heard
     * it was up: never linked, its handshake still paid (a peer relinking in a loop may do just that).
     */
    default List<Effect> onLinkGoneBeforeUp(PublicId peer, LinkEnd remote, long nowMs) {
        return List.of();
    }

    /**
     * An inbound handshake from {@code remote} ended after this node answered the hello (a
     * verification and a signature paid) and before the peer's valid proof: no link, no peer proven.
     */
    default List<Effect> onHandshakeAbandoned(LinkEnd remote, long nowMs) {
        return List.of();
    }

    List<Effect> onMessage(PublicId from, Gossip message, long nowMs);

    /** The peer broke the wire protocol; the service closes the link right after. A baseline may ignore it. */
    default List<Effect> onViolation(PublicId peer, Violation violation, long nowMs) {
        return List.of();
    }

    /**
     * This node itself was not running for {@code lateMs} (its threads starved of CPU, a long pause):
     * the driver measured its own scheduling lateness. Transfers are not judged for that time.
     */
    default List<Effect> onStarved(long lateMs, long nowMs) {
        return List.of();
    }

    /**
     * The wall clock reads {@code wallMs} now, when the driver's clock (monotonic: every timer's)
     * reads {@code nowMs}. A driver tells it before each step; records are dated and judged by it.
     * A protocol whose time is the wall clock's (the simulations' one virtual clock) is never told.
     */
    default List<Effect> onWallClock(long wallMs, long nowMs) {
        return List.of();
    }

    /** Bundle bytes of a Fetch arrived (called now and then during a long transfer). */
    default List<Effect> onFetchProgress(PublicId from, String commit, long bytesSoFar, long nowMs) {
        return List.of();
    }

    List<Effect> onFetched(PublicId from, String commit, long bytes, long nowMs);

    /**
     * As {@link #onFetched(PublicId, String, long, long)}, the repository asked again at the report:
     * {@code stillHeld} false when it gave the commit up after the import and before this report
     * (its prune's withdrawal came first, naming a commit not yet held here). By default, the fetch
     * as usual and then the commit given up.
     */
    default List<Effect> onFetched(PublicId from, String commit, long bytes, boolean stillHeld, long nowMs) {
        List<Effect> out = new ArrayList<>(onFetched(from, commit, bytes, nowMs));
        if (!stillHeld) {
            out.addAll(onDropped(List.of(commit), nowMs));
        }
        return out;
    }

    default List<Effect> onFetchFailed(PublicId from, String commit, FetchFailure failure, long nowMs) {
        return List.of();
    }

    /**
     * The fetch from {@code from} was answered BUSY with a hint ({@code retryAfterMs}, 0: none) of when
     * the holder expects room again: a decline, no fault. A protocol that takes no hints treats it as
     * any decline.
     */
    default List<Effect> onFetchBusy(PublicId from, String commit, long retryAfterMs, long nowMs) {
        return onFetchFailed(from, commit, FetchFailure.DECLINED, nowMs);
    }

    /**
     * During a Fetch of {@code commit} with pieces asked of several holders, {@code holder} (any of
     * them) answered BUSY with a hint ({@code retryAfterMs}) of when it expects room again: no fault,
     * the fetch goes on without it, and it is not asked again, for any commit, before the hint. Its
     * fetch's own outcome still arrives through {@link #onFetched} or {@link #onFetchFailed}.
     */
    default List<Effect> onHolderBusy(PublicId holder, String commit, long retryAfterMs, long nowMs) {
        return List.of();
    }

    /**
     * During a Fetch from {@code from} with pieces asked of several holders, {@code holder} (another
     * of them) was proven at fault: a piece that failed its digest once the bundle verified, an
     * oversized answer, a stall, or a false claim to hold the commit. The fetch itself goes on with
     * the other holders; its own outcome still arrives through {@link #onFetched} or
     * {@link #onFetchFailed}.
     */
    default List<Effect> onHolderFault(PublicId holder, String commit, FetchFailure failure, long nowMs) {
        return List.of();
    }

    /**
     * As {@link #onHolderFault(PublicId, String, FetchFailure, long)}, with, for a stall, when the
     * holder's range fell silent ({@code silentSinceMs}): stalls whose silences overlap are one pause
     * of the holder, charged once, however many of our ranges and transfers it held.
     */
    default List<Effect> onHolderFault(PublicId holder, String commit, FetchFailure failure, long silentSinceMs, long nowMs) {
        return onHolderFault(holder, commit, failure, nowMs);
    }

    /**
     * This node's server sent {@code to} (the id its fetch hello carried, which nothing proves) the
     * whole bundle of {@code commit}, from its first byte to its last. A baseline may ignore it.
     */
    default List<Effect> onServed(PublicId to, String commit, long nowMs) {
        return List.of();
    }

    /** This node now holds {@code commit} by other means: it made it, or fetched it outside gossip. */
    List<Effect> onLocalCommit(String commit, long nowMs);

    /**
     * The repository held {@code commit} at start; {@code own} when this node made it (a protocol
     * that names keepers names them only for its own). A baseline treats it as a local commit.
     */
    default List<Effect> onHeld(String commit, boolean own, long nowMs) {
        return onLocalCommit(commit, nowMs);
    }

    /** This node's downloads are capped at {@code bytesPerSecond} in all (0: none). A baseline may ignore it. */
    default void capDownloads(long bytesPerSecond) {
    }

    /** The repository gave these commits up (over its budget): no longer held. A baseline may ignore it. */
    default List<Effect> onDropped(Collection<String> commits, long nowMs) {
        return List.of();
    }

    /** The node's work needs {@code commit}; {@code hints} may hold it. A baseline may say it cannot help. */
    default List<Effect> want(String commit, Collection<PublicId> hints, long nowMs) {
        return List.of(new Effect.Unavailable(commit, "this protocol fetches only what it is told about"));
    }

    /** {@link #want} with the holders' addresses, for a protocol that reaches holders beyond its links. */
    default List<Effect> wantFrom(String commit, List<NodeInfo> holders, long nowMs) {
        List<PublicId> ids = new ArrayList<>();
        for (NodeInfo info : holders) {
            if (info.getNode().size() == PublicId.LENGTH) {
                ids.add(PublicId.of(info.getNode()));
            }
        }
        return want(commit, ids, nowMs);
    }

    /**
     * As {@link #wantFrom(String, List, long)}, for holders named by a source of reach
     * {@code learntOver} (the coordinator's): a holder whose address is narrower is not asked. A
     * baseline may ignore it.
     */
    default List<Effect> wantFrom(String commit, List<NodeInfo> holders, PeerAddress.Reach learntOver,
            long nowMs) {
        return wantFrom(commit, holders, nowMs);
    }

    /** The node is stopping: effects that must still happen (persisting the peers). */
    default List<Effect> stop(long nowMs) {
        return List.of();
    }

    /** This node signed a Result: push it to the neighbours, so findings spread without the coordinator. */
    default List<Effect> announceResult(SignedEnvelope result, long nowMs) {
        return List.of();
    }

    List<Effect> onTick(long nowMs);

    boolean isBanned(PublicId peer, long nowMs);

    /**
     * When {@link #onTick} is next due. A protocol that emits {@link Effect.Wakeup} is ticked only
     * when it asks; one that never does (a baseline, a test double) is ticked periodically.
     */
    default long nextWakeupMs() {
        return Long.MAX_VALUE;
    }
}
