package dev.rhizome.node.gossip.core;

/** Why a bundle fetch from one peer failed; each kind costs that peer a different score. */
public enum FetchFailure {
    /** The peer says it doesn't have the commit (it may have pruned it): no penalty. */
    NOT_FOUND,
    /** No progress for {@link GossipConfig#fetchStall}. */
    STALLED,
    /** The bundle's tip is not the announced commit, or it doesn't verify. */
    WRONG_BUNDLE,
    /** More bytes than announced, or a frame over the wire's limit. */
    OVERSIZED,
    /** The peer's bundle is larger than this node takes: true, so no penalty, and no retry from it. */
    TOO_LARGE,
    /** The connection dropped: no penalty, the peer may be retried. */
    CONNECTION_LOST,
    /**
     * The holder declined (busy at its upload limit, its own disk failing, a request it does not
     * take): no penalty and a retry later, but one that keeps declining rests (see {@code Declines}).
     */
    DECLINED,
    /**
     * The holder declined after sending most of what was asked on that connection ({@link LateDecline}):
     * no penalty, as any decline, but it rests at once rather than after a streak.
     */
    DECLINED_LATE,
    /**
     * The transfer advanced under the stall floor: bytes of the bundle kept arriving, too few (a slow
     * uplink or disk, a holder starved of CPU). The holder's pace was judged, not its honesty: no
     * offence, the holder counts as slow ({@code SlowHolders}) and its fetch moves to another holder,
     * and one slow again and again rests as a holder that keeps declining does ({@code Declines}). A
     * transfer that sent nothing at all in its stall window is {@link #STALLED}, as a rogue's is.
     */
    SLOW,
    /**
     * Nothing was proven at the holder's address: it took no connection, said no hello (or no proof
     * of its key) within its turn, hung up first, or another key answered there. No penalty: whoever
     * answers at an address can do that, and an honest holder that went down looks the same. But it
     * rests at once, for every commit, as {@link #DECLINED_LATE} does: a hint (the work's, or a
     * peer's record) naming an address that leads nowhere costs one ask, then one after the rest,
     * not a streak of asks per commit; the node that does answer there is never the one charged.
     */
    UNREACHABLE;

    /** Whether the holder said "not now" rather than failed. */
    boolean declined() {
        return this == DECLINED || this == DECLINED_LATE || this == UNREACHABLE;
    }

    /** Whether the holder rests at once, not after a streak of declines. */
    boolean restsAtOnce() {
        return this == DECLINED_LATE || this == UNREACHABLE;
    }

    /** Whether this costs the holder nothing but counts towards its rest: it declined, or was slow. */
    boolean rests() {
        return declined() || this == SLOW;
    }
}
