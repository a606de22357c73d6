package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * What brings a direction's leaderboard up to date (service.DirectionBoard): its results stored
 * after a sequence number, and those whose counting changed after a change key (migration 18's
 * {@code result_count_changes}), each with whether it counts now. A build reads what happened
 * since the last one, not the direction's history.
 */
final class BoardRows {
    private static final String COLUMNS = "SELECT r.envelope_seq, e.bytes, r.late, s.state ";
    private static final int INVALID = ResultVerdict.State.INVALID.getNumber();

    private BoardRows() {
    }

    static List<Store.BoardResult> storedAfter(Queries q, String direction, long afterSeq) {
        return q.list(COLUMNS + "FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                + "LEFT JOIN result_states s ON s.envelope_id = e.id "
                + "WHERE r.direction = ? AND r.envelope_seq > ? ORDER BY r.envelope_seq", BoardRows::row, direction, afterSeq);
    }

    /** The last change key: read in the same snapshot as {@link #changedAfter}, the next build's mark. */
    static long lastChange(Queries q) {
        return q.list("SELECT COALESCE(MAX(seq), 0) FROM result_count_changes", rs -> rs.getLong(1)).get(0);
    }

    /** The direction's results whose counting changed after change {@code afterChange}, as they are now (once each). */
    static List<Store.BoardResult> changedAfter(Queries q, String direction, long afterChange) {
        return q.list(COLUMNS + "FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                + "LEFT JOIN result_states s ON s.envelope_id = e.id "
                + "WHERE r.direction = ? AND e.id IN (SELECT envelope_id FROM result_count_changes WHERE seq > ?) "
                + "ORDER BY r.envelope_seq", BoardRows::row, direction, afterChange);
    }

    private static Store.BoardResult row(ResultSet rs) throws SQLException {
        Result result = Rows.stored(rs.getBytes(2), Result.parser()).record();
        int state = rs.getInt(4);
        boolean invalid = !rs.wasNull() && state == INVALID;
        return new Store.BoardResult(rs.getLong(1), result, rs.getInt(3) == 0 && !invalid);
    }
}
