package dev.rhizome.coordinator.store;

import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.WorkerFailures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.BusyHandler;

/**
 * Copies the SQLite store's write-ahead log into the database file on a thread of its own
 * ("sqlite-checkpointer", a connection of its own), so that no group commit pays for it: SQLite's
 * own auto-checkpoint ran inside the commit that crossed its 1,000 pages, and every caller queued
 * behind that commit waited for the copy and its fsyncs (performance.md, the thirteenth pass).
 *
 * <p>After each period in which the store wrote, a PASSIVE checkpoint: it takes no lock a writer
 * or reader needs, copies what no reader still needs and forces the database file. A writer
 * starts the log over once a checkpoint has copied all of it, which under steady load a passive one
 * rarely finishes in time for, so the log is bounded otherwise: when the store is idle (nothing
 * written for a period) or the log is past {@link #CAP_BYTES}, a TRUNCATE checkpoint copies the rest
 * and empties the file. That one holds the write lock while it waits for readers, at most
 * {@link #WAIT_MILLIS}; if they are not done by then it gives up and the next period tries again.
 * It runs between the committer's groups (their lock): a transaction that has read is answered
 * BUSY at once by SQLite, not made to wait, when another connection holds the write lock.
 *
 * <p>Durability is SQLite's own and unchanged: a commit is durable once its frames are in the log
 * and the log is forced (the committer's {@code synchronous=FULL}); a checkpoint forces the log
 * before it copies and the database file before the log is reused, and a kill at any point of it
 * leaves frames the next open replays (CheckpointKillTest).
 */
final class WalCheckpointer {
    private static final Logger LOG = LoggerFactory.getLogger(WalCheckpointer.class);
    /** The log's size past which it is emptied even while the store writes. */
    static final long CAP_BYTES = 64L << 20;
    /** The most a TRUNCATE checkpoint waits for the writer and readers (it holds writers up meanwhile). */
    static final int WAIT_MILLIS = 100;

    private final Path log;
    /** How often the log is looked at: a passive checkpoint at most this often while the store writes. */
    private final long periodMillis;
    private final Connection connection;
    private final LongSupplier writes;
    /** The committer's group lock: a TRUNCATE runs between groups, never beside one (see SqliteStore). */
    private final Lock group;
    private final Thread thread;
    private final WorkerFailures failures = new WorkerFailures(LOG, "the write-ahead log's checkpoint");
    private final AtomicLong passives = new AtomicLong();
    private final AtomicLong truncations = new AtomicLong();
    private volatile boolean closing;

    /**
     * Starts checkpointing {@code file}'s log; {@code writes} moves whenever the store committed a
     * change (the store's write version), which is all the committer does for it.
     */
    static WalCheckpointer start(Path file, LongSupplier writes, Lock group, long periodMillis) throws SQLException {
        Connection connection = SqliteStore.connect(file);
        try {
            connection.setAutoCommit(true);
            try (Statement s = connection.createStatement()) {
                s.execute("PRAGMA busy_timeout = " + WAIT_MILLIS);
            }
            if (CrashPoints.armed(CrashPoints.CHECKPOINT_WAITING)) {
                // The one moment inside a checkpoint that Java can be held in: SQLite asks its busy
                // handler once it holds the checkpoint's locks and a reader stands in its way.
                BusyHandler.setHandler(connection, new BusyHandler() {
                    @Override
                    protected int callback(int calls) {
                        CrashPoints.at(CrashPoints.CHECKPOINT_WAITING);
                        return 0;
                    }
                });
            }
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
        WalCheckpointer checkpointer = new WalCheckpointer(file, connection, writes, group, periodMillis);
        checkpointer.thread.start();
        return checkpointer;
    }

    private WalCheckpointer(Path file, Connection connection, LongSupplier writes, Lock group, long periodMillis) {
        this.log = file.resolveSibling(file.getFileName() + "-wal");
        this.periodMillis = periodMillis;
        this.connection = connection;
        this.writes = writes;
        this.group = group;
        this.thread = new Thread(this::run, "sqlite-checkpointer");
        thread.setDaemon(true);
    }

    private void run() {
        long seen = writes.getAsLong();
        while (!closing) {
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                break;
            }
            long now = writes.getAsLong();
            boolean wrote = now != seen;
            seen = now;
            try {
                long size = logSize();
                if (size > CAP_BYTES) {
                    // past the cap the committer waits one TRUNCATE (a period's log and the readers, 100 ms at most)
                    group.lockInterruptibly();
                    truncate();
                } else if (!wrote && size > 0 && group.tryLock()) {
                    truncate();  // idle: a group that starts meanwhile waits for it
                } else if (wrote) {
                    checkpoint("PASSIVE", passives);
                }
                failures.succeeded();
            } catch (InterruptedException e) {
                break;
            } catch (SQLException | IOException | RuntimeException e) {
                // The log keeps every commit until a checkpoint succeeds: nothing is lost, the
                // log grows meanwhile, and the operator is told (once, and once it is over).
                failures.failed(e);
            }
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // this connection wrote nothing; the committer's close checkpoints what is left
        }
    }

    /** A TRUNCATE checkpoint, the group lock held (taken by the caller, let go here). */
    private void truncate() throws SQLException {
        try {
            checkpoint("TRUNCATE", truncations);
        } finally {
            group.unlock();
        }
    }

    private void checkpoint(String mode, AtomicLong counter) throws SQLException {
        try (Statement s = connection.createStatement();
                ResultSet r = s.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
            // (busy, frames in the log, frames copied): busy only says it stopped short, for the next period
            r.next();
        }
        counter.incrementAndGet();
    }

    private long logSize() throws IOException {
        try {
            return Files.size(log);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    /** Checkpoints run so far, passive and truncating: for tests. */
    long passives() {
        return passives.get();
    }

    long truncations() {
        return truncations.get();
    }

    /** Stops after the checkpoint under way, if any; then the connection is closed. */
    void close() {
        closing = true;
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
