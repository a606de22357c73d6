package dev.rhizome.coordinator.store;

import java.sql.SQLException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** The database failed; the transaction in progress was rolled back. */
public final class StoreException extends RuntimeException {
    /** PostgreSQL's SQLSTATE for a full disk ({@code disk_full}). */
    private static final String POSTGRES_DISK_FULL = "53100";

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * For a settling transaction whose locks turned out too few once taken (what it must lock
     * changed while it waited, {@link Store.Transaction#lockForSettlement}): a shared store rolls
     * it back and runs it again, as it does after a deadlock (the cause's SQLSTATE is a
     * serialization failure's).
     */
    public static StoreException raced(String why) {
        return new StoreException("settlement raced: " + why, new SQLException(why, "40001"));
    }

    /**
     * For a transaction that found, under the locks it took, that it needs more of them (a claim
     * near its network's lease caps, {@code service.Dispatcher}): a shared store rolls it back
     * and runs it again, as after a deadlock.
     */
    public static StoreException runAgain(String why) {
        return new StoreException("run again: " + why, new SQLException(why, "40001"));
    }

    /**
     * Whether {@code failure} (or a cause of it) is the database refusing for want of disk space:
     * SQLite's {@code SQLITE_FULL} (its answer to ENOSPC), PostgreSQL's {@code disk_full}. Nothing
     * of the transaction was stored, the request was not at fault, and the same request succeeds
     * once space is freed, so it is answered "unavailable, retry", not "internal error".
     */
    public static boolean isDiskFull(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLiteException s && s.getResultCode() == SQLiteErrorCode.SQLITE_FULL) {
                return true;
            }
            if (t instanceof SQLException q && POSTGRES_DISK_FULL.equals(q.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /**
     * A statement or a transaction the server ended at its own bound ({@code ServingBounds}: a
     * statement timeout, a session idle in its transaction too long; the start's migration, {@code
     * MigrationBounds}, a lock not had within its lock timeout): the database did not answer in
     * time, as for a socket timeout; nothing was committed.
     */
    private static final java.util.Set<String> SERVER_BOUNDS = java.util.Set.of("57014", "25P03", "55P03");

    /**
     * Whether {@code failure} (or a cause of it) is the database being out of reach: PostgreSQL
     * stopped, killed or restarting (a connection refused or cut, SQLSTATE class 08; 57P01-57P03,
     * the server shutting down or still starting; or the server's own bounds, {@link #SERVER_BOUNDS}). As with a full disk, nothing of the transaction
     * was stored (or, for a commit cut in flight, it is stored and a retry is "already recorded"),
     * and the same request succeeds once the database is back: "unavailable, retry".
     */
    public static boolean isUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException q && q.getSQLState() != null
                    && (q.getSQLState().startsWith("08") || q.getSQLState().startsWith("57P0")
                            || SERVER_BOUNDS.contains(q.getSQLState()))) {
                return true;
            }
        }
        return false;
    }
}
