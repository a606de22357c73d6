package dev.rhizome.coordinator.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.rhizome.proto.v1.Seed;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rows read once per store rather than once per claim and result, because they never change once
 * committed: published seeds, parsed (a seed row is inserted once and never changed or deleted),
 * and candidates' seed commitments (migration 28: inserted once, in the transaction that registers
 * the candidate, and never changed; every EVALUATE unit described and every result checked names
 * one). A transaction that inserted such a row itself does not share what it reads (it could still
 * roll back, and its retry draws another secret), and an absent row is never remembered (another
 * coordinator may add it).
 */
final class SeedCache {
    /**
     * Commitments kept, the most recently used first to go past it: a commitment is 32 bytes and
     * its key a commit id, so about 10 MiB at most; the candidates still being evaluated are few.
     */
    static final int MAX_COMMITMENTS = 65_536;

    private final Map<String, Stored<Seed>> byName = new ConcurrentHashMap<>();
    private final Cache<String, byte[]> commitments = Caffeine.newBuilder().maximumSize(MAX_COMMITMENTS).build();

    Optional<Stored<Seed>> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    void put(String name, Stored<Seed> seed) {
        byName.put(name, seed);
    }

    /** The candidate's seed commitment, if one was read from committed data; a copy. */
    Optional<byte[]> commitment(String commit) {
        return Optional.ofNullable(commitments.getIfPresent(commit)).map(byte[]::clone);
    }

    void putCommitment(String commit, byte[] commitment) {
        commitments.put(commit, commitment.clone());
    }

    /** After a commit failed: what was read in it may not be durable, so start again from the database. */
    void clear() {
        byName.clear();
        commitments.invalidateAll();
    }
}
