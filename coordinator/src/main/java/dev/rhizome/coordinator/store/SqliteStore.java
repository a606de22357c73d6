package dev.rhizome.coordinator.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import org.sqlite.SQLiteConfig;

/**
 * The embedded store: one SQLite file, {@value #FILE_NAME}, in write-ahead-log mode with full
 * fsync on commit. One connection serves all transactions one at a time; SQLite allows a single
 * writer anyway, and the coordinator's transactions are short.
 */
public final class SqliteStore implements Store {
    public static final String FILE_NAME = "coordinator.db";

    private final Connection connection;
    private final SqliteTransaction transaction;
    private boolean closed;

    private SqliteStore(Connection connection) {
        this.connection = connection;
        this.transaction = new SqliteTransaction(connection);
    }

    public static SqliteStore open(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(10_000);
        config.enforceForeignKeys(true);
        Path file = dataDir.resolve(FILE_NAME);
        try {
            Connection connection = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
            connection.setAutoCommit(false);
            SqliteSchema.migrate(connection);
            return new SqliteStore(connection);
        } catch (SQLException e) {
            throw new IOException("cannot open coordinator database " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized <T> T inTransaction(Work<T> work) {
        if (closed) {
            throw new IllegalStateException("store is closed");
        }
        try {
            T value = work.run(transaction);
            connection.commit();
            return value;
        } catch (SQLException e) {
            rollback();
            throw new StoreException("database commit failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            rollback();
            throw e;
        }
    }

    private void rollback() {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the original failure is what matters
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            connection.close();
        } catch (SQLException e) {
            throw new StoreException("cannot close database: " + e.getMessage(), e);
        }
    }
}
