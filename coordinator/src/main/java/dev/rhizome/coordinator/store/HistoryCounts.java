package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.UnitStatus;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts over the whole history: the coordinator's totals ({@code /v1/stats}, {@code /metrics})
 * and each direction's experiments and results ({@code /v1/directions}, the dashboard). Each goes
 * through every row it counts, so the views share one reading (service.SharedViews, rebuilt at
 * most about once a second) instead of reading it per request; what it went through is counted
 * in {@link RowsRead} as rows read.
 */
public final class HistoryCounts {
    private HistoryCounts() {
    }

    /** A direction's experiments registered and results stored. */
    public record OfDirection(long experiments, long results) {
        static final OfDirection NONE = new OfDirection(0, 0);
    }

    static CoordinatorStats stats(Queries q) {
        long units = count(q, "SELECT COUNT(*) FROM units");
        long expired = q.list("SELECT COALESCE(SUM(expired_leases), 0) FROM units", rs -> rs.getLong(1)).get(0);
        q.aggregated(units, 1);
        return CoordinatorStats.newBuilder()
                .setSeeds(count(q, "SELECT COUNT(*) FROM seeds"))
                .setDirections(count(q, "SELECT COUNT(*) FROM directions"))
                .setExperiments(count(q, "SELECT COUNT(*) FROM experiments"))
                .setResults(count(q, "SELECT COUNT(*) FROM results"))
                .setPapers(count(q, "SELECT COUNT(*) FROM papers"))
                .setUnitsOpen(count(q, "SELECT COUNT(*) FROM units WHERE state = ?", UnitStatus.State.OPEN_VALUE))
                .setUnitsLeased(count(q, "SELECT COUNT(*) FROM units WHERE state = ?", UnitStatus.State.LEASED_VALUE))
                .setUnitsDone(count(q, "SELECT COUNT(*) FROM units WHERE state = ?", UnitStatus.State.DONE_VALUE))
                .setLeasesExpired(expired)
                .setNodes(count(q, "SELECT COUNT(*) FROM nodes"))
                .build();
    }

    /** Every direction with an experiment or a result; a direction absent has neither. */
    static Map<String, OfDirection> byDirection(Queries q) {
        Map<String, long[]> counts = new HashMap<>();
        tally(q, "SELECT direction, COUNT(*) FROM experiments GROUP BY direction", counts, 0);
        tally(q, "SELECT direction, COUNT(*) FROM results GROUP BY direction", counts, 1);
        Map<String, OfDirection> byName = new HashMap<>();
        counts.forEach((name, c) -> byName.put(name, new OfDirection(c[0], c[1])));
        return byName;
    }

    private static void tally(Queries q, String sql, Map<String, long[]> counts, int column) {
        var rows = q.list(sql, rs -> Map.entry(rs.getString(1), rs.getLong(2)));
        long visited = 0;
        for (Map.Entry<String, Long> row : rows) {
            counts.computeIfAbsent(row.getKey(), k -> new long[2])[column] = row.getValue();
            visited += row.getValue();
        }
        q.aggregated(visited, rows.size());
    }

    private static long count(Queries q, String sql, Object... params) {
        long n = q.list(sql, rs -> rs.getLong(1), params).get(0);
        q.aggregated(n, 1);
        return n;
    }
}
