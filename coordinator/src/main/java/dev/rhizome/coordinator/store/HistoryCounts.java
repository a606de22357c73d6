package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.UnitStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts over the whole history: the coordinator's totals ({@code /v1/stats}, {@code /metrics})
 * and each direction's experiments and results ({@code /v1/directions}, the dashboard). A count
 * goes through every row it counts, which is what it costs the database (counted so in
 * {@link RowsRead}), so the views do not count per request:
 * <ul>
 * <li>rows that are only ever added (seeds, directions, experiments, results, papers, units) are
 * counted once: {@link #since} counts those added after the sequence numbers already counted
 * ({@link Marks}), and the caller adds them up. Keys follow commit order on both stores
 * ({@link WriteOrder#appendInOrder}), so no row is ever committed behind a mark;
 * <li>units in progress ({@link #inProgress}) are counted along the state index: as many rows as
 * there is work open or leased now, not as history;
 * <li>what changes anywhere in the history (nodes, leases expired) is kept counted by the
 * database as it is written ({@link StoreCounters}), and {@link #standing} reads the counts.
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

    /** The last sequence number counted, per table that is only added to. */
    public record Marks(long seeds, long directions, long experiments, long results, long papers, long units) {
        public static final Marks NONE = new Marks(0, 0, 0, 0, 0, 0);
    }

    /** Rows added after some {@link Marks}, up to {@code upTo}; by direction for experiments and results. */
    public record Added(Marks upTo, long seeds, long directions, long papers, long units,
            Map<String, OfDirection> byDirection) {
    }

    /** Units OPEN and LEASED now. */
    public record InProgress(long open, long leased) {
    }

    /** Nodes that ever announced and leases that ever expired. */
    public record Standing(long nodes, long leasesExpired) {
    }

    static Added since(Queries q, Marks after) {
        long[] seeds = added(q, "SELECT COUNT(*), MAX(envelope_seq) FROM seeds WHERE envelope_seq > ?", after.seeds());
        long[] directions = added(q, "SELECT COUNT(*), MAX(envelope_seq) FROM directions WHERE envelope_seq > ?",
                after.directions());
        long[] papers = added(q, "SELECT COUNT(*), MAX(envelope_seq) FROM papers WHERE envelope_seq > ?", after.papers());
        long[] units = added(q, "SELECT COUNT(*), MAX(seq) FROM units WHERE seq > ?", after.units());
        Map<String, long[]> byDirection = new HashMap<>();
        long experiments = tally(q, "SELECT direction, COUNT(*), MAX(envelope_seq) FROM experiments "
                + "WHERE envelope_seq > ? GROUP BY direction", after.experiments(), byDirection, 0);
        long results = tally(q, "SELECT direction, COUNT(*), MAX(envelope_seq) FROM results "
                + "WHERE envelope_seq > ? GROUP BY direction", after.results(), byDirection, 1);
        Map<String, OfDirection> counts = new HashMap<>();
        byDirection.forEach((name, c) -> counts.put(name, new OfDirection(c[0], c[1])));
        return new Added(new Marks(seeds[1], directions[1], experiments, results, papers[1], units[1]),
                seeds[0], directions[0], papers[0], units[0], counts);
    }

    static InProgress inProgress(Queries q) {
        return new InProgress(count(q, "SELECT COUNT(*) FROM units WHERE state = ?", UnitStatus.State.OPEN_VALUE),
                count(q, "SELECT COUNT(*) FROM units WHERE state = ?", UnitStatus.State.LEASED_VALUE));
    }

    static Standing standing(Queries q) {
        return StoreCounters.standing(q);
    }

    /** Everything counted afresh (each count but the kept ones reads its whole table): for a caller that keeps no marks. */
    static CoordinatorStats stats(Queries q) {
        Added all = since(q, Marks.NONE);
        InProgress now = inProgress(q);
        Standing standing = standing(q);
        OfDirection total = all.byDirection().values().stream().reduce(OfDirection.NONE, OfDirection::plus);
        return CoordinatorStats.newBuilder()
                .setSeeds(all.seeds()).setDirections(all.directions())
                .setExperiments(total.experiments()).setResults(total.results()).setPapers(all.papers())
                .setUnitsOpen(now.open()).setUnitsLeased(now.leased())
                .setUnitsDone(all.units() - now.open() - now.leased())
                .setLeasesExpired(standing.leasesExpired()).setNodes(standing.nodes())
                .build();
    }

    /** {count, last key} of the rows after {@code after} (the last key stays {@code after} when none). */
    private static long[] added(Queries q, String sql, long after) {
        long[] row = q.list(sql, rs -> {
            long n = rs.getLong(1);
            long max = rs.getLong(2);
            return new long[] {n, rs.wasNull() ? after : max};
        }, after).get(0);
        q.aggregated(row[0], 1);
        return row;
    }

    /** Adds each direction's rows after {@code after} into {@code column} of {@code counts}; returns the last key. */
    private static long tally(Queries q, String sql, long after, Map<String, long[]> counts, int column) {
        List<long[]> rows = new ArrayList<>();
        List<String> names = q.list(sql, rs -> {
            rows.add(new long[] {rs.getLong(2), rs.getLong(3)});
            return rs.getString(1);
        }, after);
        long visited = 0;
        long last = after;
        for (int i = 0; i < names.size(); i++) {
            counts.computeIfAbsent(names.get(i), k -> new long[2])[column] += rows.get(i)[0];
            visited += rows.get(i)[0];
            last = Math.max(last, rows.get(i)[1]);
        }
        q.aggregated(visited, names.size());
        return last;
    }

    private static long count(Queries q, String sql, Object... params) {
        long n = q.list(sql, rs -> rs.getLong(1), params).get(0);
        q.aggregated(n, 1);
        return n;
    }
}
