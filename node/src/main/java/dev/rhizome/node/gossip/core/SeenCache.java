package dev.rhizome.node.gossip.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Ids of the announcements already handled: the SHA-256 of what the signature covers (domain tag,
 * type, payload), as {@code Envelopes.id} defines a record's identity. Hashing the envelope as it
 * travels would let anyone re-wrap a record (an unknown field, another encoding) into a "new" one.
 *
 * <p>An id is kept for seenTtl + maxClockSkew: an announcement accepted now may carry a time up to
 * maxClockSkew ahead, and it only becomes stale (refused by the time window) seenTtl after that
 * time. So every replay is caught by one check or the other. The size bound holds under a flood
 * because the per-peer token buckets limit how many ids can arrive within that span.
 */
final class SeenCache {
    private final Cache<ByteString, Boolean> ids;

    SeenCache(GossipConfig config, CoreClock clock) {
        this.ids = Caffeine.newBuilder()
                .ticker(clock)
                .executor(Runnable::run) // maintenance on the caller's thread: the core owns no threads
                .expireAfterWrite(config.seenTtl().plus(config.maxClockSkew()))
                .maximumSize(config.maxSeen())
                .build();
    }

    /** Records the id; true the first time it is seen within the window. */
    boolean firstSighting(ByteString id) {
        return ids.asMap().putIfAbsent(id, Boolean.TRUE) == null;
    }

    long size() {
        ids.cleanUp();
        return ids.estimatedSize();
    }

    static ByteString idOf(SignedEnvelope envelope) {
        try {
            return ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(Envelopes.signedBytes(envelope.getType(), envelope.getPayload())));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
