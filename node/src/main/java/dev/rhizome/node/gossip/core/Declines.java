package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;

/**
 * Holders that keep declining (BUSY, INTERNAL, UNSUPPORTED, another bundle) are asked less, at no
 * cost to their score. A decline proves nothing (an honest holder at its upload limit says BUSY),
 * so it is never penalised; but it costs this node a fetch slot and a round trip, and a peer that
 * announces commits it does not hold and declines every ask would otherwise take three attempts a
 * commit, for as many commits as it announces.
 *
 * <p>So a peer that declined {@link #STREAK} asks in a row with no delivery between rests: it is
 * not asked for any commit for {@link #REST_MS}, doubled by each further rest that follows with no
 * delivery between (one decline after a rest starts the next), at most {@link #MAX_REST_MS}. A
 * delivery from it ends all that. A resting peer stays queued as a holder; when it is the only one
 * a commit has, the commit waits for the rest to end rather than being given up, so an honest busy
 * holder is asked again later, as "busy, ask another" means. A peer that declines again after a
 * rest has ended ({@link #declinesAfterRest}) has used its tries for the commit it declined: the
 * planner asks it no more for that commit, so a commit that only such a peer claims is given up
 * after about one rest, not three (a work that needs it is told within minutes, not after six).
 * A decline after most of a transfer's bytes ({@link LateDecline}) starts a rest at once: a
 * holder that ends every upload with BUSY just before its end would otherwise cost an asker
 * {@link #STREAK} nearly whole transfers before its first rest.
 *
 * <p>A BUSY that names when the holder expects room again ({@link #busyFor}) keeps that holder
 * unasked until then, for every commit (its builders or upload slots are full for all of them), at
 * most {@link #MAX_BUSY_WAIT_MS}: the hint is the holder's word, so it only ever delays asking the
 * holder that gave it, and it counts as any decline towards the streak, so a peer BUSY forever rests.
 * Pure, on the core's time.
 */
final class Declines {
    /** Declines in a row, with no delivery between, that start the first rest. */
    static final int STREAK = 4;
    static final long REST_MS = 30_000;
    /** Under the simulation's calm of five minutes, and the coordinator's lease of a unit. */
    static final long MAX_REST_MS = 120_000;
    /** The longest wait a BUSY's hint buys: a rest's base; a holder still busy after it is asked, and rests if so. */
    static final long MAX_BUSY_WAIT_MS = REST_MS;
    /** Peers remembered; the least recently declining are forgotten first. */
    static final int MAX_PEERS = 1_024;

    private static final class Record {
        int streak;
        int rests;
        long restUntilMs;
        /** Until when its last BUSY asked not to be asked (0: none). */
        long busyUntilMs;
    }

    private final Bounded<PublicId, Record> peers = new Bounded<>(MAX_PEERS);

    /** {@code peer} declined an ask. Returns whether it now rests. */
    boolean declined(PublicId peer, long nowMs) {
        return declined(peer, false, nowMs);
    }

    /**
     * {@code peer} declined an ask; {@code late}: after sending most of the bytes asked
     * ({@link LateDecline}), which fills its streak at once. Returns whether it now rests.
     */
    boolean declined(PublicId peer, boolean late, long nowMs) {
        Record r = peers.get(peer);
        if (r == null) {
            r = new Record();
            peers.put(peer, r);
        }
        if (r.restUntilMs > nowMs) {
            return true; // an ask sent before the rest began: already counted
        }
        r.streak = late ? Math.max(r.streak + 1, STREAK) : r.streak + 1;
        if (r.streak >= (r.rests == 0 ? STREAK : 1)) {
            r.streak = 0;
            r.restUntilMs = nowMs + Math.min(MAX_REST_MS, REST_MS << Math.min(r.rests, 8));
            r.rests++;
            return true;
        }
        return false;
    }

    /**
     * {@code peer} answered BUSY asking not to be asked for {@code retryAfterMs} (bounded to
     * {@link #MAX_BUSY_WAIT_MS}; 0: no hint, nothing to do). Call with the decline it came with.
     */
    void busyFor(PublicId peer, long retryAfterMs, long nowMs) {
        if (retryAfterMs <= 0) {
            return;
        }
        Record r = peers.get(peer);
        if (r == null) {
            r = new Record();
            peers.put(peer, r);
        }
        r.busyUntilMs = Math.max(r.busyUntilMs, nowMs + Math.min(retryAfterMs, MAX_BUSY_WAIT_MS));
    }

    /** {@code peer} delivered a bundle: whatever it declined before was the load of the moment. */
    void delivered(PublicId peer) {
        peers.remove(peer);
    }

    /** Whether {@code peer} rested and, asked again after it, declined again with no delivery between. */
    boolean declinesAfterRest(PublicId peer) {
        Record r = peers.get(peer);
        return r != null && r.rests >= 2;
    }

    /** Until when {@code peer} is not asked, for its rest or its last BUSY's hint (0 or a past time: it may be asked). */
    long restUntilMs(PublicId peer) {
        Record r = peers.get(peer);
        return r == null ? 0 : Math.max(r.restUntilMs, r.busyUntilMs);
    }

    boolean resting(PublicId peer, long nowMs) {
        return restUntilMs(peer) > nowMs;
    }

    int size() {
        return peers.size();
    }
}
