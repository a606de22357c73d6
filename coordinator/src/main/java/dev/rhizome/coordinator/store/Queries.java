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
import java.util.function.IntConsumer;

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
    /**
     * Statements whose answers nothing needs before the next statement ({@link #write},
     * {@link #ahead}): on PostgreSQL they wait here and go with the next statement, in the same
     * round trip ({@link #flush} before the commit). Empty elsewhere: there they run at once.
     */
    private final List<Pending> pending = new ArrayList<>();

    /** A statement sent ahead of the next: a write and the check of its count, or a lock whose rows say nothing. */
    private record Pending(String sql, Object[] params, IntConsumer check) {
        boolean returnsRows() {
            return check == null;
        }
    }

    Queries(Statements statements) {
        this.statements = statements;
    }

    /** Every row {@code sql} returns, mapped by {@code row}. */
    @SuppressWarnings("unchecked")
    <T> List<T> list(String sql, Row<T> row, Object... params) {
        if (!pending.isEmpty()) {
            return (List<T>) sendWithPending(List.of(new Read<>(sql, row, params)), null).get(0);
        }
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
        if (pending.isEmpty() && !statements.sendsTogether()) {
            List<List<?>> each = new ArrayList<>();
            for (Read<?> r : reads) {
                each.add(list(r.sql(), r.row(), r.params()));
            }
            return each;
        }
        return sendWithPending(reads, null);
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
        if (!pending.isEmpty()) {
            int[] changed = {0};
            sendWithPending(List.of(), new Pending(sql, params, n -> changed[0] = n));
            return changed[0];
        }
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
        flush();  // a batch is one statement run many times: nothing else goes with it
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
     * Runs {@code sql}, a write whose count nobody needs at once: the same as {@link #update} with
     * the count left unread. A failure (a conflict, a constraint) fails the transaction as there,
     * only on PostgreSQL at the next statement or at {@link #flush}, before the commit.
     */
    void write(String sql, Object... params) {
        writeChecked(sql, changed -> { }, params);
    }

    /**
     * Runs {@code sql}, a write, and gives {@code check} its count once it has run (the check
     * throws where the count is wrong: the transaction fails, nothing of it is committed). On
     * PostgreSQL it waits for the next statement and goes with it, one round trip for both
     * (their order kept: the next statement sees the write); elsewhere it runs now.
     */
    void writeChecked(String sql, IntConsumer check, Object... params) {
        if (statements.sendsTogether()) {
            pending.add(new Pending(sql, params, check));
        } else {
            check.accept(update(sql, params));
        }
    }

    /**
     * Runs {@code sql}, a statement whose rows say nothing (a lock taken by a select): on
     * PostgreSQL it goes with the next statement, which runs once it has returned (the lock held).
     */
    void ahead(String sql, Object... params) {
        if (statements.sendsTogether()) {
            pending.add(new Pending(sql, params, null));
        } else {
            list(sql, rs -> Boolean.TRUE, params);
        }
    }

    /** Sends what waits ({@link #write}, {@link #ahead}) now, in one round trip: before a commit, or a statement not run here. */
    void flush() {
        if (!pending.isEmpty()) {
            sendWithPending(List.of(), null);
        }
    }

    /**
     * Sends the waiting statements, then {@code reads}, then {@code last} (a write) if given, as one
     * prepared text: one round trip, counted as one query where it reads, else one write. Each
     * write's check runs with its count, in order; the first that throws fails the transaction.
     */
    private List<List<?>> sendWithPending(List<Read<?>> reads, Pending last) {
        List<Pending> ahead = List.copyOf(pending);
        pending.clear();
        List<String> texts = new ArrayList<>();
        ahead.forEach(p -> texts.add(p.sql()));
        reads.forEach(r -> texts.add(r.sql()));
        if (last != null) {
            texts.add(last.sql());
        }
        String sql = String.join(";\n", texts);
        PreparedStatement ps = null;
        try {
            ps = statements.prepare(sql);
            int at = 1;
            for (Pending p : ahead) {
                for (Object param : p.params()) {
                    ps.setObject(at++, param);
                }
            }
            for (Read<?> r : reads) {
                for (Object param : r.params()) {
                    ps.setObject(at++, param);
                }
            }
            if (last != null) {
                for (Object param : last.params()) {
                    ps.setObject(at++, param);
                }
            }
            boolean rowsNext = ps.execute();
            long read = 0;
            for (Pending p : ahead) {
                rowsNext = skipOrCheck(ps, p, rowsNext);
            }
            List<List<?>> each = new ArrayList<>();
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
                if (returnsChangedRows(r.sql())) {
                    rowsChanged += rows.size();
                }
                rowsNext = ps.getMoreResults();
            }
            if (last != null) {
                skipOrCheck(ps, last, rowsNext);
            }
            statements.release(ps);
            statements.rowsRead.add(read);
            if (reads.isEmpty()) {
                statements.rowsRead.wrote();
            } else {
                statements.rowsRead.queried();
            }
            return each;
        } catch (SQLException | RuntimeException e) {
            statements.discard(sql, ps);
            throw e instanceof SQLException q ? failed(sql, q) : (RuntimeException) e;
        }
    }

    /** Steps over one sent-ahead statement's answer: a lock's rows, or a write's count given to its check. */
    private boolean skipOrCheck(PreparedStatement ps, Pending p, boolean rowsNext) throws SQLException {
        if (p.returnsRows()) {
            if (!rowsNext) {
                throw new SQLException("no rows came back for " + p.sql());
            }
            ps.getResultSet().close();
        } else {
            int changed = ps.getUpdateCount();
            if (rowsNext || changed < 0) {
                throw new SQLException("no count came back for " + p.sql());
            }
            rowsChanged += changed;
            p.check().accept(changed);
        }
        return ps.getMoreResults();
    }

    /** Whether statements wait to be sent ({@link #write}, {@link #ahead}). */
    boolean hasPending() {
        return !pending.isEmpty();
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
