package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.List;
import java.util.Optional;

/**
 * Published seeds: the research programs directions start from. A seed row never changes. Part of
 * {@link Store.Transaction}.
 */
public interface Seeds {
    Optional<Stored<Seed>> seed(String name);

    List<Stored<Seed>> seeds();

    /** The seeds published at {@code commit} (their base), in the order published. */
    List<Stored<Seed>> seedsAt(String commit);

    void insertSeed(Seed seed, SignedEnvelope envelope, long nowMs);

    /** Seeds published after envelope {@code afterSeq}, in the order published. */
    List<Keyed<Long, Stored<Seed>>> seeds(long afterSeq, int limit);
}
