package dev.rhizome.node.api;

import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.Optional;

/**
 * The last claim that got no answer, kept to be sent again as it was signed (same nonce). A
 * coordinator that committed the claim and died before replying answers the same claim, sent
 * again, with the unit it leased; a fresh claim would get another unit and leave that one leased
 * to nobody who knows of it until the lease ran out.
 *
 * <p>Taken by the next claim of the same shape (the request less its nonce and time), once: two
 * slots asking at once must not both be handed the unit. Dropped once older than {@link #MAX_AGE_MS}
 * (the coordinator refuses claims signed more than five minutes ago) or once any answer comes.
 */
final class UnansweredClaim {
    static final long MAX_AGE_MS = 4 * 60_000;

    private ClaimRequest shape;
    private SignedEnvelope signed;
    private long keptMs;

    synchronized void keep(ClaimRequest request, SignedEnvelope envelope, long nowMs) {
        shape = shapeOf(request);
        signed = envelope;
        keptMs = nowMs;
    }

    /** The kept claim, if {@code request} asks the same and it is still young enough; it is no longer kept. */
    synchronized Optional<SignedEnvelope> take(ClaimRequest request, long nowMs) {
        if (signed == null || nowMs - keptMs > MAX_AGE_MS || !shape.equals(shapeOf(request))) {
            return Optional.empty();
        }
        SignedEnvelope taken = signed;
        signed = null;
        shape = null;
        return Optional.of(taken);
    }

    private static ClaimRequest shapeOf(ClaimRequest request) {
        return request.toBuilder().clearNonce().clearTimeMs().build();
    }
}
