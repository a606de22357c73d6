package dev.rhizome.coordinator.service;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.rhizome.coordinator.core.Similarity;

/**
 * The tokens of the texts claims compare their hypotheses with ({@link Similarity#nearDuplicates}),
 * kept between claims: each claim with a hypothesis compared it with up to 1,000 texts of up to
 * 16 KiB and read every one afresh. A text is known by what it belongs to (an experiment's commit,
 * a hypothesis's unit), whose text never changes, and by its length and hash, so that another
 * store's record under the same name (tests, benches, in one process) is never taken for it.
 * Only a text read whole is kept: a reading stopped at what the search needed (a long text, a
 * short hypothesis) costs what it cost before and is read again so next time, where reading every
 * text whole once made a cold search of short hypotheses read 10 MB. Bounded by the bytes the
 * tokens take (8 a token).
 */
public final class KeptTokens implements Similarity.TokenSource {
    /** 16 MiB: 2,000 texts of 1,000 distinct tokens each. */
    static final long MAX_BYTES = 16L << 20;

    private record Key(String kind, String owner, int length, int hash) {
    }

    private final Cache<Key, Similarity.Tokens> kept = Caffeine.newBuilder().maximumWeight(MAX_BYTES)
            .weigher((Key k, Similarity.Tokens t) -> 8 * t.size() + 64 + 2 * k.owner().length())
            .executor(Runnable::run).build();

    public KeptTokens() {
    }

    @Override
    public Similarity.Tokens of(Similarity.Text text, int most) {
        String owner = text.commit().isEmpty() ? text.unitId() : text.commit();
        if (owner.isEmpty()) {
            return Similarity.hashed(text.text(), most);
        }
        Key key = new Key(text.kind(), owner, text.text().length(), text.text().hashCode());
        Similarity.Tokens found = kept.getIfPresent(key);
        if (found != null) {
            return found;
        }
        Similarity.Tokens read = Similarity.hashed(text.text(), most);
        if (read.size() <= most) {
            kept.put(key, read);  // the whole text's
        }
        return read;
    }
}
