package dev.rhizome.node.gossip.core;

/** Why a bundle fetch from one peer failed; each kind costs that peer a different score. */
public enum FetchFailure {
    /** The peer says it doesn't have the commit (it may have pruned it): no penalty. */
    NOT_FOUND,
    /** No progress for {@link GossipConfig#fetchStall}. */
    STALLED,
    /** The bundle's tip is not the announced commit, or it doesn't verify. */
    WRONG_BUNDLE,
    /** The bundle is over the size cap. */
    OVERSIZED,
    /** The connection dropped: no penalty, the peer may be retried. */
    CONNECTION_LOST
}
