package dev.rhizome.coordinator.store;

import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * How long a coordinator's start waits on PostgreSQL while it migrates the schema, so that no dead
 * peer wedges it for good: a database host gone without a reset (the driver's socket timeout), a
 * statement or a lock that never comes (the server's statement and lock timeouts: the advisory
 * lock of another coordinator still migrating is waited for that long, no longer), and a
 * coordinator killed or cut off in the middle of its migration (the server ends a session idle in
 * its transaction, which rolls the migration back and frees the advisory lock for the next one).
 * Long enough for a rebuilt table of a long history; {@code migrate_timeout} raises it.
 */
final class MigrationBounds {
    static final int DEFAULT_SECONDS = 900;
    /** A migrating session sends its statements back to back; a pause this long is a coordinator gone. */
    static final int IDLE_IN_TRANSACTION_SECONDS = 60;

    private MigrationBounds() {
    }

    /** The setup connection's properties: the serving ones' plus a socket timeout past the statement timeout. */
    static Properties connection(Properties serving, int seconds) {
        Properties p = new Properties();
        p.putAll(serving);
        p.setProperty("socketTimeout", Integer.toString(seconds + 30));
        p.setProperty("tcpKeepAlive", "true");
        return p;
    }

    /**
     * A migration cut by one of these bounds, said so: which bound, that nothing was applied, and
     * what to look at; any other failure as it is. The SQLSTATE is kept, so a database that hung is
     * waited for and tried again, as one that is down ({@link StoreException#isUnavailable}).
     */
    static SQLException failure(SQLException e, int seconds) {
        String what = boundReached(e);
        if (what == null) {
            return e;
        }
        return new Cut("the schema migration did not finish within migrate_timeout (" + seconds + " s): "
                + what + " (" + e.getMessage() + "); nothing of it was applied (it is one transaction). Look for a "
                + "session holding the migration's lock or its tables (pg_stat_activity, pg_locks); a migration of a long "
                + "history may need a larger migrate_timeout=SECONDS in the store address", e.getSQLState(), e);
    }

    /** A migration one of these bounds cut: the database answered, and is waited for all the same. */
    static final class Cut extends SQLException {
        Cut(String message, String sqlState, SQLException cause) {
            super(message, sqlState, cause);
        }
    }

    /** Whether {@code failure} (or a cause of it) is a migration cut by its bound ({@link #failure}). */
    static boolean isCut(Throwable failure) {
        return cut(failure) != null;
    }

    /** The cut migration's own words (what was cut, what to look at), without the wrappers' repetitions; null if none. */
    static String cut(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof Cut) {
                return t.getMessage();
            }
        }
        return null;
    }

    private static String boundReached(SQLException e) {
        if ("57014".equals(e.getSQLState())) {
            return "a statement ran past it";
        }
        if ("55P03".equals(e.getSQLState())) {
            return "a lock it needs (another coordinator migrating, or a session using the tables) was held past it";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return "the database did not answer for that long";
            }
        }
        return null;
    }

    /** Bounds the session's statements, lock waits and idle time inside a transaction. */
    static void session(Statement s, int seconds) throws SQLException {
        s.execute("SET statement_timeout = '" + seconds + "s'");
        s.execute("SET lock_timeout = '" + seconds + "s'");
        s.execute("SET idle_in_transaction_session_timeout = '" + IDLE_IN_TRANSACTION_SECONDS + "s'");
        try {
            // PostgreSQL 14+: a statement whose client is gone (killed mid-migration) is cancelled
            // within a second, instead of running to its end holding the lock the next start waits on.
            s.execute("SET client_connection_check_interval = '1s'");
        } catch (SQLException olderServer) {
            // before 14 the statement runs on; statement_timeout still bounds it
        }
    }
}
