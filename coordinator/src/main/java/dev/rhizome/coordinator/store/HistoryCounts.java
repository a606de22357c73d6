package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.UnitStatus;
import java.util.Collection;
import java.util.Map;

/**
 * Counts over the whole history: the coordinator's totals ({@code /v1/stats}, {@code /metrics})
 * and each direction's experiments and results ({@code /v1/directions}, the dashboard). A count
 * goes through every row it counts, which is what it costs the database (counted so in
 * {@link RowsRead}), so no view counts the history:
 * <ul>
 * <li>the totals and what changes anywhere in the history (nodes, leases expired) are kept
 * counted by the database as rows are written ({@link StoreCounters}): a reading is a few rows,
 * the first one after a start included;
 * <li>units in progress ({@link #inProgress}) are counted along the state index: as many rows as
 * there is work open or leased now, not as history.
 * </ul>
 */
public final class HistoryCounts {
    private HistoryCounts() {
    }

    /** A direction's experiments registered and results stored. */
    public record OfDirection(long experiments, long results) {
        public static final OfDirection NONE = new OfDirection(0, 0);

        public OfDirection plus(OfDirection o) {
            return new OfDirection(experiments + o.experiments, results + o.results);
        }
    }

    /** The totals of the tables that are only added to. */
    public record Totals(long seeds, long directions, long experiments, long results, long papers, long units) {
    }

    /** Directions opened, and how many of them an operator closed. */
    public record DirectionTotals(long directions, long closed) {
        public long open() {
            return directions - closed;
        }
    }

    /** Units OPEN and LEASED now. */
    public record InProgress(long open, long leased) {
    }

    /** Nodes that ever announced and leases that ever expired. */
    public record Standing(long nodes, long leasesExpired) {
    }

    static Totals totals(Queries q) {
        return StoreCounters.totals(q);
    }

    static Map<String, OfDirection> ofDirections(Queries q, Collection<String> names) {
        return StoreCounters.ofDirections(q, names);
    }

    static InProgress inProgress(Queries q) {
        return new InProgress(count(q, "SELECT COUNT(*) FROM units WHERE state = ?", UnitStatus.State.OPEN_VALUE),
                count(q, "SELECT COUNT(*) FROM units WHERE state = ?", UnitStatus.State.LEASED_VALUE));
    }

    static Standing standing(Queries q) {
        return StoreCounters.standing(q);
    }

    /** Every count in one: the kept counts, and units in progress along their index. */
    static CoordinatorStats stats(Queries q) {
        Totals all = totals(q);
        InProgress now = inProgress(q);
        Standing standing = standing(q);
        return CoordinatorStats.newBuilder()
                .setSeeds(all.seeds()).setDirections(all.directions())
                .setExperiments(all.experiments()).setResults(all.results()).setPapers(all.papers())
                .setUnitsOpen(now.open()).setUnitsLeased(now.leased())
                .setUnitsDone(Math.max(0, all.units() - now.open() - now.leased()))
                .setLeasesExpired(standing.leasesExpired()).setNodes(standing.nodes())
                .build();
    }

    private static long count(Queries q, String sql, Object... params) {
        long n = q.list(sql, rs -> rs.getLong(1), params).get(0);
        q.aggregated(n, 1);
        return n;
    }
}
