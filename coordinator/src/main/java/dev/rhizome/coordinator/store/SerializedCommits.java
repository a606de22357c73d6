package dev.rhizome.coordinator.store;

import java.sql.Connection;
import java.sql.Statement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;

/**
 * Group commit on the shared store for the transactions serialized on one key (every claim and
 * every result queue on the unit queue's key). Those transactions run one after another on every
 * coordinator anyway (an advisory lock, see {@link PostgresStore#inTransaction(String, Store.Work)}),
 * so each used to hold the lock through its own commit, and the commit's WAL flush (8-12 ms on
 * this project's test machine) bounded the whole unit path at one flush per transaction. Here one
 * thread per key takes the lock once for whatever callers are waiting, runs each in a savepoint of
 * one SERIALIZABLE transaction (one that throws is rolled back alone), commits them together with
 * one flush, and only then answers them: the durability promise is unchanged, and the flush and
 * the lock's round trips are shared. A serialization failure or deadlock anywhere in the group
 * rolls the whole group back and runs it again on a fresh snapshot, as a lone transaction was.
 */
final class SerializedCommits {
    /** Callers that share one transaction at most; a retry runs them all again. */
    static final int MAX_BATCH = 64;

    /** Where the committer borrows its connection for each group, and gives it back. */
    interface Connections {
        Connection borrow();

        /** A connection that is not healthy is replaced. */
        void giveBack(Connection c, boolean healthy);
    }

    private final int lockKey;
    private final Connections connections;
    private final SqliteStore.CommitListener listener;
    private final Function<Connection, SqliteTransaction> transactions;
    private final BlockingQueue<PendingTransaction<?>> queue = new LinkedBlockingQueue<>();
    private final Thread committer;
    /** The transaction the committer is running now, for work that opens a nested transaction. */
    private SqliteTransaction current;
    private final Object lifecycle = new Object();
    private boolean closed;

    SerializedCommits(String key, Connections connections, Function<Connection, SqliteTransaction> transactions,
            SqliteStore.CommitListener listener) {
        this.lockKey = key.hashCode();
        this.listener = listener;
        this.connections = connections;
        this.transactions = transactions;
        this.committer = new Thread(this::commitLoop, "postgres-committer-" + key);
        committer.setDaemon(true);
        committer.start();
    }

    <T> T inTransaction(Store.Work<T> work) {
        if (Thread.currentThread() == committer) {
            return work.run(current);  // a serialized transaction opened inside one joins it
        }
        PendingTransaction<T> pending = new PendingTransaction<>(work);
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("store is closed");
            }
            queue.add(pending);
        }
        return pending.await();
    }

    /** Finishes the transactions already queued, then stops the committer. */
    void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            queue.add(PendingTransaction.STOP);
        }
        if (Thread.currentThread() != committer) {
            try {
                committer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void commitLoop() {
        while (true) {
            PendingTransaction<?> first;
            try {
                first = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (first == PendingTransaction.STOP) {
                return;
            }
            List<PendingTransaction<?>> batch = new ArrayList<>();
            batch.add(first);
            queue.drainTo(batch, MAX_BATCH - 1);
            boolean stop = batch.remove(PendingTransaction.STOP);
            long start = System.nanoTime();
            try {
                runBatch(batch);
                listener.committed(batch.size(), System.nanoTime() - start);
            } catch (RuntimeException | Error e) {
                batch.forEach(p -> p.fail(e));  // no caller waits forever, whatever went wrong
            }
            if (stop) {
                return;
            }
        }
    }

    private void runBatch(List<PendingTransaction<?>> batch) {
        Connection c;
        try {
            c = connections.borrow();
        } catch (RuntimeException e) {
            fail(batch, e);  // the store is closing: every caller gets an answer all the same
            return;
        }
        boolean healthy = true;
        try {
            try {
                PostgresStore.advisory(c, "SELECT pg_advisory_lock(" + PostgresStore.LOCK_SPACE + ", ?)", lockKey);
            } catch (SQLException e) {
                healthy = false;
                fail(batch, new StoreException("database lock failed: " + e.getMessage(), e));
                return;
            }
            healthy = commitTogether(c, batch);
            if (healthy) {
                // Committed (or failed and rolled back): the answers stand even if the unlock fails;
                // the session is then replaced, which releases the lock.
                healthy = PostgresStore.unlock(c, lockKey);
            }
        } finally {
            current = null;
            connections.giveBack(c, healthy);
        }
    }

    /**
     * Runs the group until it commits, answers every caller, and says whether the connection is
     * still usable. Callers whose work threw get their failure; the rest, the commit's outcome.
     */
    private boolean commitTogether(Connection c, List<PendingTransaction<?>> batch) {
        for (int attempt = 1; ; attempt++) {
            List<PendingTransaction<?>> succeeded = new ArrayList<>();
            List<Failed> failed = new ArrayList<>();
            try {
                boolean open = false;
                for (PendingTransaction<?> p : batch) {
                    current = transactions.apply(c);
                    // One round trip per caller: the last caller's savepoint is released (its work
                    // kept) as this one's opens; the commit releases the last.
                    execute(c, open ? "RELEASE SAVEPOINT caller; SAVEPOINT caller" : "SAVEPOINT caller");
                    open = true;
                    try {
                        p.run(current);
                        succeeded.add(p);
                    } catch (RuntimeException | Error e) {
                        if (Dialect.isRetryable(e)) {
                            throw e;  // the whole group's snapshot is stale, not only this caller's
                        }
                        execute(c, "ROLLBACK TO SAVEPOINT caller");
                        failed.add(new Failed(p, e));
                    }
                }
                current = null;
                c.commit();
            } catch (SQLException | RuntimeException e) {
                current = null;
                boolean healthy = rollback(c);
                if (healthy && Dialect.isRetryable(e) && attempt < PostgresStore.MAX_ATTEMPTS) {
                    PostgresStore.backoff(attempt);
                    continue;
                }
                fail(batch, e instanceof RuntimeException r ? r
                        : new StoreException("database commit failed: " + e.getMessage(), (SQLException) e));
                return healthy;
            }
            failed.forEach(f -> f.pending().fail(f.failure()));
            succeeded.forEach(PendingTransaction::complete);
            return true;
        }
    }

    private record Failed(PendingTransaction<?> pending, Throwable failure) {
    }

    private static void fail(List<PendingTransaction<?>> batch, RuntimeException failure) {
        batch.forEach(p -> p.fail(failure));
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static boolean rollback(Connection c) {
        try {
            c.rollback();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }
}
