package dev.rhizome.coordinator.store;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts of rows that change anywhere in the history, read as one row each from the
 * {@code store_counters} table (migration 16). The database keeps them: triggers on the counted
 * tables update the counter in the transaction of the write itself, so a count is exact at every
 * commit, on both stores, whichever write path made the row, and a read costs the same on the
 * first day and after a million results.
 */
final class StoreCounters {
    static final String ENVELOPES = "envelopes";
    static final String NODES = "nodes";
    static final String LEASES_EXPIRED = "leases_expired";

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

    private static Map<String, Long> read(Queries q, List<String> names) {
        Map<String, Long> counts = new HashMap<>();
        String marks = String.join(", ", Collections.nCopies(names.size(), "?"));
        for (Map.Entry<String, Long> row : q.list("SELECT name, value FROM store_counters WHERE name IN (" + marks + ")",
                rs -> Map.entry(rs.getString(1), rs.getLong(2)), names.toArray())) {
            counts.put(row.getKey(), row.getValue());
        }
        for (String name : names) {
            if (!counts.containsKey(name)) {
                throw new StoreException("the store's counter '" + name + "' is missing (table store_counters, "
                        + "made by schema migration 16): the database was changed by hand", null);
            }
        }
        return counts;
    }
}
