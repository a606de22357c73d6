package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.protocol.identity.PublicId;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The fetch slots: which transfers run and from whom, within the limits. A transfer is started only
 * on a free slot, from a holder that is due (its backoff over, not resting for its declines) and has
 * a slot of its own; stopping one gives its slots back.
 */
final class FetchSlots {
    /** Fetches outstanding at once; the adapter runs as many transfers in parallel. */
    static final int MAX_ACTIVE = 4;
    /** Fetches outstanding from one peer: a peer announcing a flood of commits can't take every slot. */
    static final int MAX_ACTIVE_PER_PEER = 2;
    /** Fetches outstanding from a peer known to be slow (see {@link SlowHolders}). */
    static final int MAX_ACTIVE_PER_SLOW_PEER = 1;

    private final Declines declines;
    private final SlowHolders slow;
    private int active;
    private final Map<PublicId, Integer> activeByPeer = new HashMap<>();

    FetchSlots(Declines declines, SlowHolders slow) {
        this.declines = declines;
        this.slow = slow;
    }

    int active() {
        return active;
    }

    boolean free() {
        return active < MAX_ACTIVE;
    }

    /** Whether {@code peer} may be asked now: it has a slot of its own and is not resting. */
    boolean usable(PublicId peer, long nowMs) {
        return hasSlot(peer, nowMs) && !declines.resting(peer, nowMs);
    }

    /** When a queued holder may be asked: its backoff, or its rest if longer. */
    long dueMs(Want.Holder h) {
        return Math.max(h.notBeforeMs, declines.restUntilMs(h.peer));
    }

    /** Starts {@code want}'s transfer from the first queued holder that is due and usable, if any. */
    Start next(Want want, String commit, long nowMs) {
        for (Iterator<Want.Holder> it = want.queue.iterator(); it.hasNext(); ) {
            Want.Holder h = it.next();
            if (h.notBeforeMs <= nowMs && usable(h.peer, nowMs)) {
                it.remove();
                return begin(want, h, commit, nowMs);
            }
        }
        return null;
    }

    /** The first queued holder of {@code want} that is due, has a slot and is not known slow. */
    Want.Holder firstReady(Want want, long nowMs) {
        for (Want.Holder h : want.queue) {
            if (h.notBeforeMs <= nowMs && usable(h.peer, nowMs) && !slow.isSlow(h.peer, nowMs)) {
                return h;
            }
        }
        return null;
    }

    /** Starts {@code want}'s transfer from {@code holder}: a slot taken, its clocks set to now. */
    Start begin(Want want, Want.Holder holder, String commit, long nowMs) {
        active++;
        activeByPeer.merge(holder.peer, 1, Integer::sum);
        want.current = holder;
        want.lastProgressMs = nowMs;
        want.countedBytes = 0;
        want.bytes = 0;
        want.excusedMs = 0;
        want.startedMs = nowMs;
        want.windowMs = nowMs;
        want.windowBytes = 0;
        return new Start(holder.peer, commit);
    }

    /** Stops {@code want}'s transfer and gives its slot back; returns the holder it ran from. */
    Want.Holder stop(Want want) {
        Want.Holder h = want.current;
        want.current = null;
        release(h.peer);
        return h;
    }

    /** The current transfer stops, no fault of its holder: back to the queue's end, its tries untouched. */
    void requeue(Want want, long nowMs) {
        Want.Holder h = stop(want);
        h.notBeforeMs = nowMs;
        want.queue.addLast(h);
    }

    private void release(PublicId peer) {
        active--;
        activeByPeer.computeIfPresent(peer, (p, n) -> n > 1 ? n - 1 : null);
    }

    private boolean hasSlot(PublicId peer, long nowMs) {
        return activeByPeer.getOrDefault(peer, 0) < (slow.isSlow(peer, nowMs) ? MAX_ACTIVE_PER_SLOW_PEER : MAX_ACTIVE_PER_PEER);
    }
}
