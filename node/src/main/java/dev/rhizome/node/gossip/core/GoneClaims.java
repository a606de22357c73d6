package dev.rhizome.node.gossip.core;

import dev.rhizome.node.rate.TokenBucket;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * "Not found" for a commit a peer announced to us, told apart from a false claim. An honest node
 * gives commits up (its repository's budget prunes them, its keep budget evicts them) and then
 * says so in a signed Inventory ({@code gone}); a neighbour that asked in between hears "not found"
 * before (or without) that withdrawal, since the fetch and the link are separate connections. So a
 * "not found" for a claimed commit is only doubted for {@link #GRACE_MS}: the peer's withdrawal of
 * that commit within the grace excuses it, and without one it is scored a false claim then.
 *
 * <p>A withdrawal costs nothing to send, so a peer that announces commits it never holds and
 * withdraws each once asked would escape every penalty. Excuses are therefore rationed per peer
 * ({@link #EXCUSES_PER_SECOND}, burst {@link #EXCUSE_BURST}): an honest node withdraws a commit a
 * neighbour is fetching from it right then only when its budget prunes what it just announced,
 * rarely and a few at a time; a liar past the ration is scored as before. A withdrawal that arrives
 * before the fetch started needs no excuse: the peer is simply not asked. Pure, on the core's time.
 */
final class GoneClaims {
    /** How long a "not found" for a claimed commit waits for the peer's withdrawal. */
    static final long GRACE_MS = 10_000;
    /** Doubts held at once; past this a new one is scored at once (only a flood of lies gets there). */
    static final int MAX_DOUBTS = 1_024;
    /** Excused "not found" answers per peer: one per 10 s, with a burst of 32. */
    static final double EXCUSES_PER_SECOND = 0.1;
    static final double EXCUSE_BURST = 32;
    /** Peers whose excuse ration is remembered; the least recently excused are forgotten first. */
    static final int MAX_PEERS = 1_024;

    record Doubt(PublicId peer, String commit) {
    }

    /** Doubts by (peer, commit), the oldest first, with the time each is scored. */
    private final LinkedHashMap<Doubt, Long> doubts = new LinkedHashMap<>();
    private final Bounded<PublicId, TokenBucket> excuses = new Bounded<>(MAX_PEERS);

    /**
     * {@code peer} answered "not found" for {@code commit}, which it announced to us. Returns false
     * when no more doubts can be held: the caller scores it a false claim now.
     */
    boolean doubt(PublicId peer, String commit, long nowMs) {
        if (doubts.size() >= MAX_DOUBTS) {
            return false;
        }
        doubts.putIfAbsent(new Doubt(peer, commit), nowMs + GRACE_MS);
        return true;
    }

    /** Whether a "not found" of {@code peer} for {@code commit} waits for its withdrawal. */
    boolean doubted(PublicId peer, String commit) {
        return doubts.containsKey(new Doubt(peer, commit));
    }

    /**
     * {@code peer} withdrew {@code commit} while a fetch of it from that peer was in flight or its
     * "not found" was doubted: excused if the peer's ration allows (the doubt is dropped), else not
     * (a doubt stays, to be scored at its time).
     */
    boolean excuse(PublicId peer, String commit, long nowMs) {
        TokenBucket ration = excuses.get(peer);
        if (ration == null) {
            ration = new TokenBucket(EXCUSES_PER_SECOND, EXCUSE_BURST, nowMs * 1_000_000L);
        }
        excuses.put(peer, ration); // refreshed: the most recently excused are remembered longest
        if (!ration.tryTake(1, nowMs * 1_000_000L)) {
            return false;
        }
        doubts.remove(new Doubt(peer, commit));
        return true;
    }

    /** Doubts whose grace passed without a withdrawal: each a false claim to score now. */
    List<Doubt> due(long nowMs) {
        List<Doubt> out = new ArrayList<>();
        for (Iterator<Map.Entry<Doubt, Long>> it = doubts.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Doubt, Long> e = it.next();
            if (e.getValue() <= nowMs) {
                out.add(e.getKey());
                it.remove();
            }
        }
        return out;
    }

    /** When the next doubt is due (Long.MAX_VALUE when none). */
    long nextDeadlineMs() {
        long next = Long.MAX_VALUE;
        for (long at : doubts.values()) {
            next = Math.min(next, at);
        }
        return next;
    }

    /** A banned peer's doubts go with it (it pays for what it did already). */
    void forget(PublicId peer) {
        doubts.keySet().removeIf(d -> d.peer().equals(peer));
    }

    int size() {
        return doubts.size();
    }
}
