package dev.rhizome.coordinator.store;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts of the history, read as one row each from the {@code store_counters} table (migration
 * 16: envelopes, nodes, leases expired; migration 17: seeds, directions, papers, units), plus on
 * PostgreSQL the stripes of envelopes and units (migration 21, {@code counter_stripes}: up to 16
 * rows each, so that commits counting them do not queue on one row), and one row
 * per direction from {@code direction_counts} (migration 17: experiments and results). The
 * database keeps them: triggers on the counted tables update the counter in the transaction of
 * the write itself, so a count is exact at every commit, on both stores, whichever write path made
 * the row, and a read costs the same on the first day and after a million results.
 */
final class StoreCounters {
    static final String ENVELOPES = "envelopes";
    static final String NODES = "nodes";
    static final String LEASES_EXPIRED = "leases_expired";
    static final String SEEDS = "seeds";
    static final String DIRECTIONS = "directions";
    static final String PAPERS = "papers";
    static final String UNITS = "units";
    static final String DIRECTION_CLOSURES = "direction_closures";

    private StoreCounters() {
    }

    /** Every signed envelope stored: the audit trail's length. */
    static long envelopes(Queries q) {
        return read(q, List.of(ENVELOPES)).get(ENVELOPES);
    }

    /** Nodes that ever announced and leases that ever expired. */
    static HistoryCounts.Standing standing(Queries q) {
        Map<String, Long> counts = read(q, List.of(NODES, LEASES_EXPIRED));
        return new HistoryCounts.Standing(counts.get(NODES), counts.get(LEASES_EXPIRED));
    }

    /**
     * The totals of what is only added to. Experiments and results are kept per direction (one
     * counter row per write), so their totals go through one row per direction, not per result.
     */
    static HistoryCounts.Totals totals(Queries q) {
        Map<String, Long> counts = read(q, List.of(SEEDS, DIRECTIONS, PAPERS, UNITS));
        long[] sums = q.list("SELECT COUNT(*), COALESCE(SUM(experiments), 0), COALESCE(SUM(results), 0) "
                + "FROM direction_counts", rs -> new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)}).get(0);
        q.aggregated(sums[0], 1);
        return new HistoryCounts.Totals(counts.get(SEEDS), counts.get(DIRECTIONS), sums[1], sums[2],
                counts.get(PAPERS), counts.get(UNITS));
    }

    /** Directions opened and closed (migration 19), two rows. */
    static HistoryCounts.DirectionTotals directionTotals(Queries q) {
        Map<String, Long> counts = read(q, List.of(DIRECTIONS, DIRECTION_CLOSURES));
        return new HistoryCounts.DirectionTotals(counts.get(DIRECTIONS), counts.get(DIRECTION_CLOSURES));
    }

    /** Each named direction's experiments and results, in the order named ({@code NONE} for one without any). */
    static Map<String, HistoryCounts.OfDirection> ofDirections(Queries q, Collection<String> names) {
        Map<String, HistoryCounts.OfDirection> counts = new LinkedHashMap<>();
        names.forEach(name -> counts.put(name, HistoryCounts.OfDirection.NONE));
        q.listIn("SELECT direction, experiments, results FROM direction_counts WHERE direction IN", names,
                rs -> counts.put(rs.getString(1), new HistoryCounts.OfDirection(rs.getLong(2), rs.getLong(3))));
        return counts;
    }

    private static Map<String, Long> read(Queries q, List<String> names) {
        Map<String, Long> counts = new HashMap<>();
        String marks = String.join(", ", Collections.nCopies(names.size(), "?"));
        Object[] twice = new Object[names.size() * 2];
        for (int i = 0; i < names.size(); i++) {
            twice[i] = names.get(i);
            twice[names.size() + i] = names.get(i);
        }
        for (Map.Entry<String, Long> row : q.list("SELECT name, value FROM store_counters WHERE name IN (" + marks + ") "
                        + "UNION ALL SELECT name, value FROM counter_stripes WHERE name IN (" + marks + ")",
                rs -> Map.entry(rs.getString(1), rs.getLong(2)), twice)) {
            counts.merge(row.getKey(), row.getValue(), Long::sum);
        }
        for (String name : names) {
            if (!counts.containsKey(name)) {
                throw new StoreException("the store's counter '" + name + "' is missing (table store_counters, "
                        + "made by schema migrations 16, 17 and 19): the database was changed by hand", null);
            }
        }
        return counts;
    }
}
