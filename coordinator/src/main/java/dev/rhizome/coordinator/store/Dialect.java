package dev.rhizome.coordinator.store;

import java.sql.SQLException;
import java.util.regex.Pattern;

/**
 * What differs between the two databases the coordinator runs on. The queries of
 * {@link SqliteTransaction} and the classes it hands each concern to are written once in SQL
 * both accept; the migrations in {@link SqliteSchema} are written with SQLite's type names and
 * translated here for PostgreSQL, so a migration added once serves both stores.
 */
public enum Dialect {
    SQLITE {
        @Override
        String translate(String ddl) {
            if (ddl.startsWith(POSTGRESQL_ONLY)) {
                return "";
            }
            return ddl.startsWith(SQLITE_ONLY) ? ddl.substring(SQLITE_ONLY.length()) : ddl;
        }
    },
    POSTGRESQL {
        private static final Pattern AUTOINCREMENT = Pattern.compile("INTEGER PRIMARY KEY AUTOINCREMENT");
        private static final Pattern INTEGER = Pattern.compile("\\bINTEGER\\b");
        private static final Pattern REAL = Pattern.compile("\\bREAL\\b");
        private static final Pattern BLOB = Pattern.compile("\\bBLOB\\b");
        private static final Pattern WITHOUT_ROWID = Pattern.compile("\\s*WITHOUT ROWID");

        @Override
        String translate(String ddl) {
            if (ddl.startsWith(SQLITE_ONLY)) {
                return "";
            }
            if (ddl.startsWith(POSTGRESQL_ONLY)) {
                // written in PostgreSQL's own terms (a function body), not translated
                return ddl.substring(POSTGRESQL_ONLY.length());
            }
            String s = AUTOINCREMENT.matcher(ddl).replaceAll("BIGSERIAL PRIMARY KEY");
            s = INTEGER.matcher(s).replaceAll("BIGINT");  // SQLite's INTEGER holds 64 bits
            s = REAL.matcher(s).replaceAll("DOUBLE PRECISION");
            s = BLOB.matcher(s).replaceAll("BYTEA");
            return WITHOUT_ROWID.matcher(s).replaceAll("");
        }
    };

    /** Marks a migration statement that only SQLite runs (see {@link #sqliteOnly}). */
    private static final String SQLITE_ONLY = "-- sqlite only\n";
    /** Marks a migration statement that only PostgreSQL runs (see {@link #postgresqlOnly}). */
    private static final String POSTGRESQL_ONLY = "-- postgresql only\n";

    /**
     * A migration statement for SQLite alone; PostgreSQL skips it (its version still moves on).
     * For what differs by design, such as an index that only a shared PostgreSQL store reads
     * because the single-process SQLite store keeps the same answer in memory.
     */
    static String sqliteOnly(String ddl) {
        return SQLITE_ONLY + ddl;
    }

    /**
     * A migration statement for PostgreSQL alone, in its own terms (not translated); SQLite skips
     * it. For what the two say differently, such as a trigger's work (a function there).
     */
    static String postgresqlOnly(String ddl) {
        return POSTGRESQL_ONLY + ddl;
    }

    /** A migration statement, written for SQLite, in this database's terms; empty when this database skips it. */
    abstract String translate(String ddl);

    /**
     * Whether a transaction that failed this way may simply be run again: PostgreSQL aborts one
     * of two serializable transactions that conflict (40001) and one side of a deadlock (40P01).
     */
    static boolean isRetryable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException e && ("40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState()))) {
                return true;
            }
        }
        return false;
    }
}
