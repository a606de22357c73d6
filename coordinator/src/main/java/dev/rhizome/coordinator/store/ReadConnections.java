package dev.rhizome.coordinator.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import org.sqlite.ProgressHandler;

/**
 * The SQLite store's read-only connections: a few, opened when first needed and kept. Each runs
 * one read transaction at a time; its first statement fixes a snapshot of the write-ahead log,
 * and ending it (a rollback: it wrote nothing) lets the log be checkpointed past that snapshot.
 * {@code query_only} makes a write through one fail rather than take SQLite's write lock, which
 * would compete with the committer.
 */
final class ReadConnections implements AutoCloseable {
    private final Path file;
    private final Semaphore permits;
    private final Deque<Reader> idle = new ArrayDeque<>();
    /** Seeds never change once stored; readers share what they read of them. */
    private final SeedCache seeds = new SeedCache();
    private boolean closed;

    private record Reader(Connection connection, Statements.Cached statements) {
        void close() {
            statements.close();
            try {
                connection.close();
            } catch (SQLException ignored) {
                // it held no writes
            }
        }
    }

    private final RowsRead rowsRead;
    /**
     * Thousands of SQLite virtual-machine instructions the readers ran ({@link #STEPS_PER_TICK}):
     * what a read cost however few rows it returned, so a plan that goes through a table to return
     * nothing shows here, where {@link RowsRead} counts no row.
     */
    private final LongAdder ticks = new LongAdder();
    static final int STEPS_PER_TICK = 1000;

    ReadConnections(Path file, int size, RowsRead rowsRead) {
        this.file = file;
        this.rowsRead = rowsRead;
        this.permits = new Semaphore(size, true);
    }

    <T> T run(Store.Work<T> work) {
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted waiting for a read connection", null);
        }
        Reader reader = null;
        boolean reusable = false;
        try {
            reader = take();
            T value = work.run(new SqliteTransaction(reader.connection(), reader.statements(), seeds, OwnedReads.none()));
            reusable = end(reader);
            return value;
        } catch (RuntimeException e) {
            reusable = reader != null && end(reader);
            throw e;
        } finally {
            if (reader != null) {
                giveBack(reader, reusable);
            }
            permits.release();
        }
    }

    private Reader take() {
        synchronized (idle) {
            if (closed) {
                throw new IllegalStateException("store is closed");
            }
            Reader r = idle.pollFirst();
            if (r != null) {
                return r;
            }
        }
        try {
            Connection c = SqliteStore.connect(file);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA query_only = 1");
                // its page cache is the committer's 8 MiB (SqliteStore.connect): the file is mapped
            }
            // A call back every thousand instructions: a small part of what they cost.
            ProgressHandler.setHandler(c, STEPS_PER_TICK, new ProgressHandler() {
                @Override
                protected int progress() {
                    ticks.increment();
                    return 0;  // go on
                }
            });
            return new Reader(c, new Statements.Cached(c, rowsRead));
        } catch (SQLException e) {
            throw new StoreException("cannot open a read connection: " + e.getMessage(), e);
        }
    }

    /** Ends the read transaction; false when the connection is no longer fit to keep. */
    private static boolean end(Reader reader) {
        try {
            reader.connection().rollback();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private void giveBack(Reader reader, boolean reusable) {
        synchronized (idle) {
            if (reusable && !closed) {
                idle.addFirst(reader);
                return;
            }
        }
        reader.close();
    }

    /** Virtual-machine instructions run by read transactions, in thousands (whole thousands per statement). */
    long steps() {
        return ticks.sum();
    }

    @Override
    public void close() {
        synchronized (idle) {
            closed = true;
            idle.forEach(Reader::close);
            idle.clear();
        }
    }
}
