package dev.rhizome.coordinator.service;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.LeaderboardEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The descriptions of the leaderboard entries a reply shows, fetched as it is sent: boards keep
 * none ({@link DirectionBoard}), since a description may be 16 KiB and a board holds every
 * experiment of its direction. Experiments never change, so what was read is kept, bounded by
 * weight (the least used dropped first); what is not kept is read in one statement per chunk of
 * entries, and no further than the reply's bytes reach.
 */
final class BoardDescriptions {
    /** Characters kept in all, at two bytes each: thousands of typical descriptions, 512 of the longest. */
    static final long MAX_WEIGHT = 16L << 20;
    /** Entries described per read: a reply stops reading once its bytes are spent. */
    static final int PER_READ = 64;
    private static final int ENTRY_OVERHEAD = 96;

    private final Store store;
    private final Cache<String, String> byCommit;

    BoardDescriptions(Store store) {
        this(store, MAX_WEIGHT);
    }

    BoardDescriptions(Store store, long maxWeight) {
        this.store = store;
        this.byCommit = Caffeine.newBuilder().maximumWeight(maxWeight)
                .weigher((String commit, String text) -> ENTRY_OVERHEAD + 2 * (commit.length() + text.length()))
                .executor(Runnable::run).build();
    }

    /**
     * The first of {@code entries}, in order, described, whose bytes together stay within
     * {@code budget} (possibly none). An entry that carries a description already (a base's) keeps it.
     */
    List<LeaderboardEntry> within(List<LeaderboardEntry> entries, long budget) {
        List<LeaderboardEntry> shown = new ArrayList<>();
        long left = budget;
        for (int from = 0; from < entries.size(); from += PER_READ) {
            List<LeaderboardEntry> chunk = entries.subList(from, Math.min(entries.size(), from + PER_READ));
            Map<String, String> texts = describe(chunk);
            for (LeaderboardEntry e : chunk) {
                LeaderboardEntry described = e.getDescription().isEmpty() && texts.containsKey(e.getCommit())
                        ? e.toBuilder().setDescription(texts.get(e.getCommit())).build() : e;
                left -= described.getSerializedSize();
                if (left < 0) {
                    return shown;
                }
                shown.add(described);
            }
        }
        return shown;
    }

    private Map<String, String> describe(List<LeaderboardEntry> entries) {
        Map<String, String> texts = new HashMap<>();
        List<String> missing = new ArrayList<>();
        for (LeaderboardEntry e : entries) {
            if (!e.getDescription().isEmpty()) {
                continue;
            }
            String kept = byCommit.getIfPresent(e.getCommit());
            if (kept == null) {
                missing.add(e.getCommit());
            } else {
                texts.put(e.getCommit(), kept);
            }
        }
        if (!missing.isEmpty()) {
            for (Stored<Experiment> x : store.inReadTransaction(tx -> tx.experiments(missing))) {
                String commit = x.record().getCommit();
                texts.put(commit, x.record().getDescription());
                byCommit.put(commit, x.record().getDescription());
            }
        }
        return texts;
    }

    /** Descriptions kept now (for tests of the bound). */
    long weight() {
        byCommit.cleanUp();
        return byCommit.policy().eviction().orElseThrow().weightedSize().orElseThrow();
    }
}
