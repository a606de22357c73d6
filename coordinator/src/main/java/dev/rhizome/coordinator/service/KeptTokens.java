package dev.rhizome.coordinator.service;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.rhizome.coordinator.core.Similarity;
import java.util.function.Function;

/**
 * The tokens of the texts claims compare their hypotheses with ({@link Similarity#nearDuplicates}),
 * kept between claims: each claim with a hypothesis compared it with up to 1,000 texts of up to
 * 16 KiB and read every one afresh. A text is known by what it belongs to (an experiment's commit,
 * a hypothesis's unit), whose text never changes, and by its length and hash, so that another
 * store's record under the same name (tests, benches, in one process) is never taken for it.
 * Bounded by the bytes the tokens take (8 a token).
 */
public final class KeptTokens implements Function<Similarity.Text, Similarity.Tokens> {
    /** 16 MiB: 2,000 texts of 1,000 distinct tokens each. */
    static final long MAX_BYTES = 16L << 20;

    private record Key(String kind, String owner, int length, int hash) {
    }

    public KeptTokens() {
    }

    private final Cache<Key, Similarity.Tokens> kept = Caffeine.newBuilder().maximumWeight(MAX_BYTES)
            .weigher((Key k, Similarity.Tokens t) -> 8 * t.size() + 64 + 2 * k.owner().length())
            .executor(Runnable::run).build();

    @Override
    public Similarity.Tokens apply(Similarity.Text text) {
        String owner = text.commit().isEmpty() ? text.unitId() : text.commit();
        if (owner.isEmpty()) {
            return Similarity.hashed(text.text());
        }
        return kept.get(new Key(text.kind(), owner, text.text().length(), text.text().hashCode()),
                k -> Similarity.hashed(text.text()));
    }
}
