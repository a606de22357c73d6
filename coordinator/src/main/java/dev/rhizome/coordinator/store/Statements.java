package dev.rhizome.coordinator.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * Where a transaction gets its prepared statements. SQLite's JDBC driver compiles the SQL on every
 * {@code prepareStatement}, and the coordinator runs the same few dozen statements for every
 * claim and result, so the SQLite store keeps each one compiled for the life of its connection
 * (one thread uses it: the committer). PostgreSQL's driver caches statements per connection
 * itself, so there each statement is simply closed after use.
 */
abstract class Statements {
    /** Where the queries run through these statements count the rows they read. */
    final RowsRead rowsRead;

    Statements(RowsRead rowsRead) {
        this.rowsRead = rowsRead;
    }

    abstract PreparedStatement prepare(String sql) throws SQLException;

    /** Whether the driver sends a text of several statements at once ({@link Queries#together}): PostgreSQL's. */
    abstract boolean sendsTogether();

    /** The statement's work is done (its result set closed): ready it for the next use. */
    abstract void release(PreparedStatement statement) throws SQLException;

    /** A statement that failed is not kept: it is closed and compiled afresh next time. */
    abstract void discard(String sql, PreparedStatement statement);

    static Statements uncached(Connection connection) {
        return uncached(connection, new RowsRead());
    }

    static Statements uncached(Connection connection, RowsRead rowsRead) {
        return new Statements(rowsRead) {
            @Override
            boolean sendsTogether() {
                return isPostgres(connection);
            }

            @Override
            PreparedStatement prepare(String sql) throws SQLException {
                return connection.prepareStatement(sql);
            }

            @Override
            void release(PreparedStatement statement) throws SQLException {
                statement.close();
            }

            @Override
            void discard(String sql, PreparedStatement statement) {
                closeQuietly(statement);
            }
        };
    }

    /** Compiled statements kept per SQL text; not thread-safe, like the connection it serves. */
    static final class Cached extends Statements implements AutoCloseable {
        private final Connection connection;
        private final Map<String, PreparedStatement> bySql = new HashMap<>();

        Cached(Connection connection, RowsRead rowsRead) {
            super(rowsRead);
            this.connection = connection;
        }

        @Override
        PreparedStatement prepare(String sql) throws SQLException {
            PreparedStatement ps = bySql.get(sql);
            if (ps == null) {
                ps = connection.prepareStatement(sql);
                bySql.put(sql, ps);
            }
            return ps;
        }

        @Override
        boolean sendsTogether() {
            return isPostgres(connection);
        }

        @Override
        void release(PreparedStatement statement) throws SQLException {
            statement.clearParameters();  // no bound blob outlives its request
        }

        @Override
        void discard(String sql, PreparedStatement statement) {
            if (bySql.remove(sql, statement)) {
                closeQuietly(statement);
            }
        }

        @Override
        public void close() {
            bySql.values().forEach(Statements::closeQuietly);
            bySql.clear();
        }
    }

    private static boolean isPostgres(Connection connection) {
        try {
            return connection.getMetaData().getURL().startsWith("jdbc:postgresql:");
        } catch (SQLException e) {
            return false;  // then the reads run one at a time, as everywhere else
        }
    }

    private static void closeQuietly(PreparedStatement statement) {
        if (statement == null) {
            return;
        }
        try {
            statement.close();
        } catch (SQLException ignored) {
            // a statement that can't close holds nothing we still need
        }
    }
}
