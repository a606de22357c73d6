package dev.rhizome.coordinator.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * Runs one statement on a transaction's statements and counts what it read ({@link RowsRead}).
 * Every statement of the JDBC transaction ({@link SqliteTransaction} and the classes it hands
 * each concern to) and of the small query classes beside it goes through here, so the count
 * misses no statement.
 */
final class Queries {
    @FunctionalInterface
    interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** Keys per statement of {@link #listIn}. */
    private static final int IN_SLICE = 100;

    private final Statements statements;
    /**
     * Rows the statements run here changed, as the database counted them (an update's count, the
     * rows an insert's {@code RETURNING} gave back). Never more than were changed; a statement
     * whose changes it cannot see (a {@code WITH} that writes) adds nothing.
     */
    private long rowsChanged;

    Queries(Statements statements) {
        this.statements = statements;
    }

    /** Every row {@code sql} returns, mapped by {@code row}. */
    <T> List<T> list(String sql, Row<T> row, Object... params) {
        PreparedStatement ps = null;
        try {
            ps = statements.prepare(sql);
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            List<T> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(row.map(rs));
                }
            }
            statements.release(ps);
            statements.rowsRead.add(rows.size());
            statements.rowsRead.queried();
            if (returnsChangedRows(sql)) {
                rowsChanged += rows.size();
            }
            return rows;
        } catch (SQLException | RuntimeException e) {
            statements.discard(sql, ps);
            throw e instanceof SQLException q ? failed(sql, q) : (RuntimeException) e;
        }
    }

    /** One read of {@link #together}: its statement, how its rows map, its parameters. */
    record Read<T>(String sql, Row<T> row, Object... params) {
    }

    /**
     * The rows of each read, in order. On PostgreSQL they go as one prepared text of several
     * statements, sent at once and answered at once: one round trip, and one query by the count.
     * The server still runs them one after the other, each READ COMMITTED statement with a
     * snapshot taken as it starts, so each sees what it would have seen sent alone, after the one
     * before it returned (a lock waited for, a row locked). Elsewhere (SQLite's driver runs only
     * the first statement of such a text) they run one at a time.
     */
    List<List<?>> together(List<Read<?>> reads) {
        if (!statements.sendsTogether()) {
            List<List<?>> each = new ArrayList<>();
            for (Read<?> r : reads) {
                each.add(list(r.sql(), r.row(), r.params()));
            }
            return each;
        }
        String sql = String.join(";\n", reads.stream().map(Read::sql).toList());
        PreparedStatement ps = null;
        try {
            ps = statements.prepare(sql);
            int at = 1;
            for (Read<?> r : reads) {
                for (Object param : r.params()) {
                    ps.setObject(at++, param);
                }
            }
            boolean rowsNext = ps.execute();
            List<List<?>> each = new ArrayList<>();
            long read = 0;
            for (Read<?> r : reads) {
                if (!rowsNext) {
                    throw new SQLException("no rows came back for " + r.sql());
                }
                List<Object> rows = new ArrayList<>();
                try (ResultSet rs = ps.getResultSet()) {
                    while (rs.next()) {
                        rows.add(r.row().map(rs));
                    }
                }
                each.add(rows);
                read += rows.size();
                rowsNext = ps.getMoreResults();
            }
            statements.release(ps);
            statements.rowsRead.add(read);
            statements.rowsRead.queried();
            return each;
        } catch (SQLException | RuntimeException e) {
            statements.discard(sql, ps);
            throw e instanceof SQLException q ? failed(sql, q) : (RuntimeException) e;
        }
    }

    /**
     * The rows of {@code sql}, which ends in {@code IN}, for the distinct {@code keys}: run in
     * slices, so that a statement's parameters stay few (and its compiled form reusable) whatever
     * the number of keys.
     */
    <T> List<T> listIn(String sql, Collection<String> keys, Row<T> row) {
        List<String> distinct = List.copyOf(new LinkedHashSet<>(keys));
        List<T> rows = new ArrayList<>();
        for (int from = 0; from < distinct.size(); from += IN_SLICE) {
            List<String> slice = distinct.subList(from, Math.min(distinct.size(), from + IN_SLICE));
            rows.addAll(list(sql + " (" + String.join(", ", Collections.nCopies(slice.size(), "?")) + ")", row,
                    slice.toArray()));
        }
        return rows;
    }

    /** The first column of the one row {@code sql} returns (a count, or the key {@code RETURNING} gives). */
    long count(String sql, Object... params) {
        return list(sql, rs -> rs.getLong(1), params).get(0);
    }

    /** Runs a statement that changes rows; returns how many it changed. */
    int update(String sql, Object... params) {
        PreparedStatement ps = null;
        try {
            ps = statements.prepare(sql);
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            int changed = ps.executeUpdate();
            statements.release(ps);
            statements.rowsRead.wrote();
            rowsChanged += Math.max(0, changed);
            return changed;
        } catch (SQLException | RuntimeException e) {
            statements.discard(sql, ps);
            throw e instanceof SQLException q ? failed(sql, q) : (RuntimeException) e;
        }
    }

    /**
     * Runs {@code sql}, a statement that changes rows, once for each row of parameters, as one JDBC
     * batch (one statement and one round trip by the count, however many rows). Returns how many
     * rows it changed where the driver tells ({@link java.sql.Statement#SUCCESS_NO_INFO} counts none).
     */
    long batch(String sql, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return 0;
        }
        PreparedStatement ps = null;
        try {
            ps = statements.prepare(sql);
            for (Object[] params : rows) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                ps.addBatch();
            }
            long changed = 0;
            for (int n : ps.executeBatch()) {
                changed += Math.max(0, n);
            }
            statements.release(ps);
            statements.rowsRead.wrote();
            rowsChanged += changed;
            return changed;
        } catch (SQLException | RuntimeException e) {
            if (ps != null) {
                try {
                    ps.clearBatch();
                } catch (SQLException ignored) {
                    // the statement is discarded below either way
                }
            }
            statements.discard(sql, ps);
            throw e instanceof SQLException q ? failed(sql, q) : (RuntimeException) e;
        }
    }

    /**
     * Rows changed by the statements run here: more than 0 means the transaction wrote; 0 means
     * none of the counted statements did, not that nothing was written.
     */
    long rowsChanged() {
        return rowsChanged;
    }

    /** A write whose rows come back by {@code RETURNING}: each row it returns is one it changed. */
    private static boolean returnsChangedRows(String sql) {
        return sql.regionMatches(true, 0, "INSERT ", 0, 7) || sql.regionMatches(true, 0, "UPDATE ", 0, 7)
                || sql.regionMatches(true, 0, "DELETE ", 0, 7);
    }

    /**
     * {@code column = ?}, or a condition that holds when {@code value} is empty (no filter), either
     * way one parameter, {@code value}. Written as one statement, {@code ? = '' OR column = ?}, the
     * filter kept every index off the column, so each read went through the whole table.
     */
    static String equalUnlessEmpty(String column, String value) {
        return value.isEmpty() ? "? = ''" : column + " = ?";
    }

    static <T> Optional<T> first(List<T> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    /**
     * An aggregate went through {@code visited} rows to make the {@code returned} rows it gave
     * (already counted by {@link #list}): a {@code COUNT(*)}'s own value is what it cost, not one row.
     */
    void aggregated(long visited, long returned) {
        statements.rowsRead.add(Math.max(0, visited - returned));
    }

    static StoreException failed(String what, SQLException e) {
        return new StoreException("database error in " + what + ": " + e.getMessage(), e);
    }
}
