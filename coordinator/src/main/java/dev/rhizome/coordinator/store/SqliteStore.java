package dev.rhizome.coordinator.store;

import dev.rhizome.protocol.files.ProcessLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.core.DB;

/**
 * The embedded store: one SQLite file, {@value #FILE_NAME}, in write-ahead-log mode. SQLite allows
 * one writer, so one thread, the committer, runs every transaction on the one connection. It takes
 * whatever transactions are waiting, runs each inside its own savepoint (one that throws is rolled
 * back alone), then commits them all together: group commit. The log is forced to disk off the
 * committer ({@link LogSyncer}), one force for every group committed meanwhile, and only then are
 * the group's callers answered: no caller returns before its commit is on disk, so the promise is
 * unchanged (whatever the coordinator acknowledges is durable), while the committer runs the next
 * group during the force. One coordinator process owns the file (several coordinators share a
 * PostgreSQL store instead).
 */
public final class SqliteStore implements Store {
    public static final String FILE_NAME = "coordinator.db";
    /** Transactions that share one commit at most; bounds how long the first of them waits. */
    static final int MAX_BATCH = 256;

    private final Path file;
    private final ProcessLock owner;
    private final Connection connection;
    /** The connection's SQLite handle: its count of rows changed tells whether a group wrote. */
    private final DB database;
    /** The committer's compiled statements, kept for the life of the connection. */
    private final Statements.Cached statements;
    /** The transaction the committer is running now: one per caller, so memos die with a savepoint. */
    private SqliteTransaction current;
    private final SeedCache seeds = new SeedCache();
    /** This process owns the file, so reads may be kept across transactions (see OwnedReads). */
    private final OwnedReads owned = OwnedReads.owned();
    private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
    private final LogSyncer syncer;
    /**
     * The number of the newest group commit the committer has begun: a reader that ran after it
     * began may have seen it, so waits for it to be durable. Raised before the commit is visible.
     */
    private volatile long committing;
    private final Thread committer;
    private final Object lifecycle = new Object();
    private final CommitListener listener;
    private boolean closed;
    /** Read-only connections for {@link #inReadTransaction}, opened as needed, at most {@value #READERS}. */
    private final ReadConnections readers;

    /** Told the size of each group commit, for metrics. */
    @FunctionalInterface
    public interface CommitListener {
        void committed(int transactions, long nanos);
    }

    private SqliteStore(Path file, ProcessLock owner, Connection connection, CommitListener listener,
            LogSyncer syncer) {
        this.file = file;
        this.syncer = syncer;
        this.owner = owner;
        this.connection = connection;
        try {
            this.database = connection.unwrap(SQLiteConnection.class).getDatabase();
        } catch (SQLException e) {
            throw new IllegalStateException("not a SQLite connection", e);
        }
        this.statements = new Statements.Cached(connection);
        this.listener = listener;
        this.readers = new ReadConnections(file, READERS);
        this.committer = new Thread(this::commitLoop, "sqlite-committer");
        committer.setDaemon(true);
        committer.start();
    }

    public static SqliteStore open(Path dataDir) throws IOException {
        return open(dataDir, (n, nanos) -> { });
    }

    public static SqliteStore open(Path dataDir, CommitListener listener) throws IOException {
        return open(dataDir, listener, f -> f);
    }

    /** With the log's force wrapped, for tests that hold or fail it. */
    static SqliteStore open(Path dataDir, CommitListener listener, java.util.function.UnaryOperator<LogSyncer.Force> force)
            throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(FILE_NAME);
        // Reads are kept in memory across transactions (OwnedReads), so a second coordinator on
        // this file would serve from caches the first one's commits made stale.
        ProcessLock owner = ProcessLock.acquire(dataDir.resolve(FILE_NAME + ".lock"),
                "the coordinator database " + file.toAbsolutePath());
        try {
            // The log is forced by the LogSyncer, not at each commit (NORMAL); checkpoints still sync.
            Connection connection = connect(file, SQLiteConfig.SynchronousMode.NORMAL);
            LogSyncer syncer = new LogSyncer(file, force);
            try {
                SqliteSchema.migrate(connection, Dialect.SQLITE);
                syncer.start();
            } catch (SQLException | IOException | RuntimeException e) {
                syncer.close();
                closeQuietly(connection);
                throw e;
            }
            return new SqliteStore(file, owner, connection, listener, syncer);
        } catch (SQLException | IOException | RuntimeException e) {
            owner.close();
            throw new IOException("cannot open coordinator database " + file + ": " + e.getMessage(), e);
        }
    }

    /** A connection that forces the log at each commit: for readers and backups, which write nothing durable. */
    static Connection connect(Path file) throws SQLException {
        return connect(file, SQLiteConfig.SynchronousMode.FULL);
    }

    private static Connection connect(Path file, SQLiteConfig.SynchronousMode synchronous) throws SQLException {
        SqliteNativeLibrary.load();
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(synchronous);
        config.setBusyTimeout(10_000);
        // Reads stay in memory (64 MiB of page cache, and the file mapped) rather than a read call per
        // page; this changes no durability: commits still fsync the write-ahead log.
        config.setCacheSize(-65_536);
        config.setPragma(SQLiteConfig.Pragma.MMAP_SIZE, Long.toString(256L << 20));
        // Sorts and temporary indexes stay in memory too; temporary data is never durable anyway.
        config.setTempStore(SQLiteConfig.TempStore.MEMORY);
        config.enforceForeignKeys(true);
        Connection connection = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
        connection.setAutoCommit(false);
        return connection;
    }

    @Override
    public <T> T inTransaction(Work<T> work) {
        if (Thread.currentThread() == committer) {
            // a transaction that opens another joins it: same connection, same commit, same reads
            return work.run(current != null ? current : new SqliteTransaction(connection, statements, seeds, owned));
        }
        Pending<T> pending = new Pending<>(work);
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("store is closed");
            }
            queue.add(pending);
        }
        return pending.await();
    }

    /**
     * Runs on the caller's thread with a read-only connection of its own: SQLite's write-ahead log
     * gives it a snapshot of the last commit, so it neither waits for the committer nor holds it
     * up. It reads the database only (no kept reads: those belong to the committer's thread).
     */
    @Override
    public <T> T inReadTransaction(Work<T> work) {
        if (Thread.currentThread() == committer) {
            return inTransaction(work);
        }
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("store is closed");
            }
        }
        T value = readers.run(work);
        // its snapshot may hold a group whose log is still being forced: answer only once it is on disk
        syncer.awaitDurable(committing);
        return value;
    }

    /** Read-only connections at once; more readers wait (each view is one short snapshot). */
    static final int READERS = 4;

    /**
     * Copies the whole database, consistent as of one moment, to {@code target} while the store
     * keeps serving: {@code VACUUM INTO} on a connection of its own reads one write-ahead-log
     * snapshot, so the committer is not blocked. The copy is a complete, compact {@value #FILE_NAME};
     * restore by stopping the coordinator and putting the copy in its data directory under that name.
     */
    public void backup(Path target) {
        if (Files.exists(target)) {
            throw new IllegalArgumentException("backup target " + target + " already exists");
        }
        try (Connection reader = connect(file)) {
            reader.setAutoCommit(true);
            try (Statement s = reader.createStatement()) {
                s.execute("VACUUM INTO '" + target.toAbsolutePath().toString().replace("'", "''") + "'");
            }
        } catch (SQLException e) {
            throw new StoreException("backup to " + target + " failed: " + e.getMessage(), e);
        }
    }

    private void commitLoop() {
        while (true) {
            Pending<?> first;
            try {
                first = queue.take();
            } catch (InterruptedException e) {
                break;
            }
            if (first == Pending.WAKE) {
                continue;  // a wake-up that came after the group it was for was committed
            }
            if (first == Pending.STOP || runBatch(first)) {
                break;
            }
        }
        syncer.close();  // acknowledges every group committed
        statements.close();
        readers.close();
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing a connection whose last commit succeeded loses nothing
        }
        try {
            owner.close();
        } catch (IOException ignored) {
            // the lock goes with the process anyway
        }
    }

    /**
     * Runs {@code first} and every transaction waiting, then commits them together. Transactions
     * that arrive while the group runs join it too, up to {@link #MAX_BATCH}: the commit (its log
     * writes and fsync, the largest cost a transaction has) is taken when nothing more is waiting,
     * so under load it is shared by more callers, and no caller waits for work that is not queued.
     * Returns whether the store was told to stop.
     */
    private boolean runBatch(Pending<?> first) {
        StoreException broken = syncer.failure();
        if (broken != null) {
            first.fail(broken);
            return false;
        }
        long start = System.nanoTime();
        List<Pending<?>> batch = new ArrayList<>();
        batch.add(first);
        List<Pending<?>> succeeded = new ArrayList<>();
        List<Runnable> afterCommit = new ArrayList<>();
        boolean stop = false;
        long seq = 0;
        try {
            long changesBefore = database.total_changes();
            for (int next = 0; next < batch.size(); next++) {
                Pending<?> p = batch.get(next);
                current = new SqliteTransaction(connection, statements, seeds, owned);
                savepoint("SAVEPOINT caller");
                try {
                    p.run(current);
                    savepoint("RELEASE caller");
                    current.released();
                    succeeded.add(p);
                    afterCommit.addAll(current.afterCommit());
                } catch (RuntimeException | Error e) {
                    savepoint("ROLLBACK TO caller");
                    savepoint("RELEASE caller");
                    p.fail(e);
                }
                if (next == batch.size() - 1 && !stop && batch.size() < MAX_BATCH) {
                    queue.drainTo(batch, MAX_BATCH - batch.size());
                    batch.removeIf(w -> w == Pending.WAKE);
                    stop = batch.remove(Pending.STOP);
                    if (next == batch.size() - 1 && !stop && !syncer.idleElse(() -> queue.add(Pending.WAKE))) {
                        // The last group's log is still being forced: committing now would only make a
                        // smaller group wait for a force of its own. Run what arrives meanwhile in this
                        // group instead, and commit when the syncer is free (its WAKE) or the group full.
                        Pending<?> more = takeUninterruptibly();
                        if (more == Pending.STOP) {
                            stop = true;
                        } else if (more != Pending.WAKE) {
                            batch.add(more);
                        }
                    }
                }
            }
            current = null;
            boolean wrote = database.total_changes() != changesBefore;
            seq = committing + 1;
            committing = seq;
            connection.commit();
            afterCommit.forEach(Runnable::run);
            listener.committed(batch.size(), System.nanoTime() - start);
            // answered once the log is on disk, in commit order; the next group runs meanwhile
            syncer.committed(new LogSyncer.Commit(seq, wrote, () -> succeeded.forEach(Pending::complete),
                    failure -> succeeded.forEach(p -> p.fail(failure))));
        } catch (SQLException e) {
            current = null;
            seeds.clear();
            owned.clear();
            rollback();
            StoreException failure = new StoreException("database commit failed: " + e.getMessage(), e);
            for (Pending<?> p : batch) {
                p.fail(failure);  // no effect on those already failed
            }
            if (seq != 0) {
                // readers that ran meanwhile wait for this number; nothing of it was committed
                syncer.committed(new LogSyncer.Commit(seq, false, () -> { }, x -> { }));
            }
        }
        return stop;
    }

    /**
     * Opens, releases or rolls back the one caller's savepoint, with statements compiled once: the
     * driver's {@code setSavepoint} names each savepoint afresh and compiles its SQL on every call,
     * two to four times per transaction. One name serves every caller, as each savepoint is
     * released before the next opens.
     */
    private void savepoint(String sql) throws SQLException {
        PreparedStatement ps = statements.prepare(sql);
        try {
            ps.execute();
        } catch (SQLException e) {
            statements.discard(sql, ps);
            throw e;
        }
    }

    /** The committer holds a group open; an interrupt must not lose the transactions already run in it. */
    private Pending<?> takeUninterruptibly() {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return queue.take();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // it is being given up after a failure to open; that failure is reported
        }
    }

    private void rollback() {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the original failure is what matters
        }
    }

    /** Finishes the transactions already queued, then closes the connection. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            queue.add(Pending.STOP);
        }
        if (Thread.currentThread() != committer) {
            try {
                committer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One caller's transaction, waiting for the commit it is part of. */
    private static final class Pending<T> {
        static final Pending<Object> STOP = new Pending<>(tx -> null);
        /** Put by the log syncer when it falls idle while the committer holds a group open for it. */
        static final Pending<Object> WAKE = new Pending<>(tx -> null);

        private final Work<T> work;
        private T value;
        private Throwable failure;
        private boolean done;

        Pending(Work<T> work) {
            this.work = work;
        }

        void run(Store.Transaction tx) {
            value = work.run(tx);
        }

        synchronized void complete() {
            done = true;
            notifyAll();
        }

        synchronized void fail(Throwable t) {
            if (!done) {
                failure = t;
                done = true;
                notifyAll();
            }
        }

        synchronized T await() {
            boolean interrupted = false;
            while (!done) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;  // the transaction may commit anyway; its outcome must be reported
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            return value;
        }
    }
}
