package dev.rhizome.node.gossip.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Ids of the announcements already handled: the SHA-256 of what was signed (domain tag, type,
 * payload), the signer and the signature, never of the envelope's encoding. Re-wrapping a record
 * (an unknown field, another encoding) does not make it new; a copy with a forged signature is
 * not the same message, so it is still verified (and penalised) rather than taken for the genuine
 * one, and can't be sent first to censor it. Nor can the genuine bytes passed on by a peer that
 * may not pass them (an Inventory of another node, a record out of that link's reach): those
 * copies are refused before their id is taken, or their id is forgotten.
 *
 * <p>An id is kept for seenTtl + 2 x maxClockSkew: an announcement accepted now may carry a time up
 * to maxClockSkew ahead, and it only becomes stale (refused by the time window) seenTtl +
 * maxClockSkew after that time. So every replay is caught by one check or the other. The size bound holds under a flood
 * because the per-peer token buckets limit how many ids can arrive within that span.
 */
final class SeenCache {
    private final Cache<ByteString, Boolean> ids;

    SeenCache(GossipConfig config, CoreClock clock) {
        this.ids = Caffeine.newBuilder()
                .ticker(clock)
                .executor(Runnable::run) // maintenance on the caller's thread: the core owns no threads
                .expireAfterWrite(config.seenTtl().plus(config.maxClockSkew()).plus(config.maxClockSkew()))
                .maximumSize(config.maxSeen())
                .build();
    }

    /** Records the id; true the first time it is seen within the window. */
    boolean firstSighting(ByteString id) {
        return ids.asMap().putIfAbsent(id, Boolean.TRUE) == null;
    }

    /**
     * Forgets an id recorded by {@link #firstSighting}: its copy was dropped for who passed it or
     * the link it came by, not for what it is, so the next copy (from a peer that may pass it) is
     * handled rather than taken for a replay.
     */
    void forget(ByteString id) {
        ids.invalidate(id);
    }

    long size() {
        ids.cleanUp();
        return ids.estimatedSize();
    }

    /** One digest per thread (a core runs on one; the simulators run many cores on one), reset by each digest(). */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    });

    static ByteString idOf(SignedEnvelope envelope) {
        MessageDigest digest = SHA256.get();
        // Each part length-prefixed, so no split of the same bytes into other parts collides. The
        // signed bytes are fed as they are built for a signature, without building them.
        Envelopes.digestSignedBytes(digest, envelope);
        for (ByteString part : new ByteString[] {envelope.getSigner(), envelope.getSignature()}) {
            digest.update(ByteBuffer.allocate(Integer.BYTES).putInt(0, part.size()));
            digest.update(part.asReadOnlyByteBuffer());
        }
        return ByteString.copyFrom(digest.digest());
    }
}
