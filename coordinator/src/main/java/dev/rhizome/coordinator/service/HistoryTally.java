package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.store.HistoryCounts;
import dev.rhizome.coordinator.store.Store;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The history's totals and each direction's experiments and results, kept as running sums: each
 * reading first adds the rows committed since the last one ({@link HistoryCounts#since}), so a
 * request reads the rows added since the previous request, not the history. Before, every
 * {@code GET /v1/directions}, {@code /v1/stats} and {@code /metrics} counted every experiment
 * and result again (two counts per listed direction), so a client asking in a loop made the
 * database go through the whole history each time.
 *
 * <p>Readings run one at a time, each in a read transaction begun under the lock, so each sees a
 * snapshot at least as new as the sums it adds to and no row is counted twice or missed.
 */
final class HistoryTally {
    /** The totals of the tables that are only added to. */
    record Totals(long seeds, long directions, long experiments, long results, long papers, long units) {
    }

    private HistoryCounts.Marks marks = HistoryCounts.Marks.NONE;
    private long seeds;
    private long directions;
    private long experiments;
    private long results;
    private long papers;
    private long units;
    private final Map<String, HistoryCounts.OfDirection> byDirection = new HashMap<>();

    /** {@code then} applied to the totals and the same transaction, once the sums have caught up. */
    synchronized <T> T read(Store store, BiFunction<Totals, Store.Transaction, T> then) {
        return store.inReadTransaction(tx -> {
            HistoryCounts.Added added = tx.historyAddedSince(marks);
            marks = added.upTo();
            seeds += added.seeds();
            directions += added.directions();
            papers += added.papers();
            units += added.units();
            added.byDirection().forEach((name, n) -> {
                byDirection.merge(name, n, HistoryCounts.OfDirection::plus);
                experiments += n.experiments();
                results += n.results();
            });
            return then.apply(new Totals(seeds, directions, experiments, results, papers, units), tx);
        });
    }

    /** The counts of the directions named, in their order (none for a direction without any). */
    Map<String, HistoryCounts.OfDirection> of(Store store, Collection<String> names) {
        return read(store, (totals, tx) -> {
            Map<String, HistoryCounts.OfDirection> counts = new LinkedHashMap<>();
            for (String name : names) {
                counts.put(name, byDirection.getOrDefault(name, HistoryCounts.OfDirection.NONE));
            }
            return counts;
        });
    }
}
