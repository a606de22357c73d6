package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.Seed;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Published seeds, parsed once per store rather than once per claim and result: a seed row is
 * inserted once and never changed or deleted, so a seed read from committed data stays right. A
 * transaction that inserted a seed itself does not share what it reads (it could still roll
 * back), and an absent seed is never remembered (another coordinator may publish it).
 */
final class SeedCache {
    private final Map<String, Stored<Seed>> byName = new ConcurrentHashMap<>();

    Optional<Stored<Seed>> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    void put(String name, Stored<Seed> seed) {
        byName.put(name, seed);
    }

    /** After a commit failed: what was read in it may not be durable, so start again from the database. */
    void clear() {
        byName.clear();
    }
}
