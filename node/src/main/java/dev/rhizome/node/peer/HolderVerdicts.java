package dev.rhizome.node.peer;

import dev.rhizome.proto.v1.PeerEndpoint;

/**
 * Told, during a fetch from several holders, of each holder that failed in a way its own messages
 * prove or the stall rule charges (bad bundle, bad piece, oversized, stalled) or that said it does
 * not hold the commit: the caller's scoring decides what each costs. A holder that declined (busy,
 * or without that exact bundle) or lost its connection is never reported: that is no offence. A
 * bad piece is reported only once the whole bundle has verified and imported, since only then is
 * it proven that the piece, not the digests it was checked against, was wrong.
 */
@FunctionalInterface
public interface HolderVerdicts {
    HolderVerdicts NONE = (holder, failure) -> { };

    void failed(PeerEndpoint holder, PeerFailure failure);

    /**
     * {@code holder} answered BUSY with a hint ({@code retryAfterMs} &gt; 0) of when it expects room
     * again: no offence, but the caller's scheduler may leave it unasked until then, as for a BUSY
     * answering a whole transfer. Dropped for the rest of this fetch either way.
     */
    default void busy(PeerEndpoint holder, long retryAfterMs) {
    }

    /**
     * Nothing was proven at {@code holder}'s address (no connection, no hello or proof in its turn,
     * or another key answered there): no offence, but the caller's scheduler may rest the holder, so
     * the next fetch, of this commit or another, does not dial the same dead address again at once.
     * Before round 34 such a holder was dropped for this fetch only and named again in every range
     * fetch after it: a hint at a silent address was dialled 17 times in one minute. Dropped for the
     * rest of this fetch either way.
     */
    default void unreachable(PeerEndpoint holder) {
    }
}
