package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.CoordinatorStats;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * Totals over the history, kept by the database as it writes ({@link StoreCounters}), so a read is
 * a few rows. Part of {@link Store.Transaction}.
 */
public interface Counts {
    CoordinatorStats stats();

    /** How many directions there are and how many are closed, kept as they are written. */
    HistoryCounts.DirectionTotals directionTotals();

    /** The totals of what is only added to: counts kept by the database as it writes ({@link StoreCounters}). */
    HistoryCounts.Totals historyTotals();

    /** Each named direction's experiments and results, kept as they are written; in the order named. */
    Map<String, HistoryCounts.OfDirection> directionCounts(Collection<String> directions);

    /** Units open and leased now, counted along the state index. */
    HistoryCounts.InProgress unitsInProgress();

    /** Nodes known and leases ever expired: counts kept by the database as it writes, read as two rows ({@link StoreCounters}). */
    HistoryCounts.Standing standing();

    /** The seed of a commit that has units (an experiment or a direction's base), by one index probe. */
    Optional<String> seedOfCommit(String commit);
}
