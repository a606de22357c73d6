package dev.rhizome.node.api;

import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The claims that got no answer, each kept to be sent again as it was signed (same nonce). A
 * coordinator that committed a claim and died before replying answers the same claim, sent again,
 * with the unit it leased; a fresh claim would get another unit and leave that one leased to nobody
 * who knows of it until the lease ran out.
 *
 * <p>Every unanswered claim is kept, not only the last: a node's slots each have a claim in flight,
 * and a coordinator's death (or the node's) cuts all their answers at once. Each is taken by one
 * later claim of the same shape (the request less its nonce and time), oldest first, once: two slots
 * asking at once must not both be handed one unit, and the slot that sends a claim again is the one
 * its unit comes back to. Dropped once signed more than {@link #MAX_AGE_MS} ago (the coordinator
 * refuses claims signed more than five minutes ago) or once any answer comes. At most {@code
 * capacity} are kept (a node's slots: each has one claim in flight at most); past it the oldest goes.
 */
final class UnansweredClaim {
    static final long MAX_AGE_MS = 4 * 60_000;
    /** Before a node says how many slots it runs: more than one process's callers have claims in flight at once. */
    static final int DEFAULT_CAPACITY = 16;

    private record Kept(ClaimRequest shape, SignedEnvelope signed, long signedMs) {
    }

    private final List<Kept> kept = new ArrayList<>();
    private int capacity = DEFAULT_CAPACITY;

    synchronized void capacity(int claims) {
        if (claims < 1) {
            throw new IllegalArgumentException("at least one claim is kept, got " + claims);
        }
        capacity = claims;
        trim();
    }

    /** Keeps a claim that got no answer; {@code nowMs} counts its age when the request carries no time. */
    synchronized void keep(ClaimRequest request, SignedEnvelope envelope, long nowMs) {
        kept.removeIf(k -> k.signed().equals(envelope));
        long signedMs = request.getTimeMs() > 0 ? Math.min(request.getTimeMs(), nowMs) : nowMs;
        kept.add(new Kept(shapeOf(request), envelope, signedMs));
        kept.sort((a, b) -> Long.compare(a.signedMs(), b.signedMs()));
        trim();
    }

    /** The oldest kept claim that asks what {@code request} asks and is still young enough; it is no longer kept. */
    synchronized Optional<SignedEnvelope> take(ClaimRequest request, long nowMs) {
        ClaimRequest shape = shapeOf(request);
        return takeOldest(shape::equals, nowMs);
    }

    /**
     * The oldest kept claim that asks something other than {@code request} and is still young
     * enough; it is no longer kept. For a process whose claims differ from those a dead one left
     * (an agent's, on another direction): each is sent again only to learn of its unit, and to give it back.
     */
    synchronized Optional<SignedEnvelope> takeUnlike(ClaimRequest request, long nowMs) {
        ClaimRequest shape = shapeOf(request);
        return takeOldest(other -> !other.equals(shape), nowMs);
    }

    private Optional<SignedEnvelope> takeOldest(Predicate<ClaimRequest> shapeWanted, long nowMs) {
        kept.removeIf(k -> nowMs - k.signedMs() > MAX_AGE_MS);
        for (Iterator<Kept> it = kept.iterator(); it.hasNext(); ) {
            Kept k = it.next();
            if (shapeWanted.test(k.shape())) {
                it.remove();
                return Optional.of(k.signed());
            }
        }
        return Optional.empty();
    }

    synchronized int size() {
        return kept.size();
    }

    private void trim() {
        while (kept.size() > capacity) {
            kept.remove(0);
        }
    }

    private static ClaimRequest shapeOf(ClaimRequest request) {
        return request.toBuilder().clearNonce().clearTimeMs().build();
    }
}
