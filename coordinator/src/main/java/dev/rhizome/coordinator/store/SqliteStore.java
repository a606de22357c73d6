package dev.rhizome.coordinator.store;

import dev.rhizome.protocol.WorkerFailures;
import dev.rhizome.protocol.files.ProcessLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.core.DB;

/**
 * The embedded store: one SQLite file, {@value #FILE_NAME}, in write-ahead-log mode with full
 * fsync on commit. SQLite allows one writer, so one thread, the committer, runs every transaction
 * on the one connection. It takes whatever transactions are waiting, runs each inside its own
 * savepoint (one that throws is rolled back alone), then commits them all with one fsync: group
 * commit. One coordinator process owns the file (several coordinators share a PostgreSQL store
 * instead). No caller returns before that commit is on disk, so the promise is unchanged: whatever
 * the coordinator acknowledges is durable. Under load the cost of the fsync is shared.
 */
public final class SqliteStore implements Store {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteStore.class);
    public static final String FILE_NAME = "coordinator.db";
    /** Transactions that share one commit at most; bounds how long the first of them waits. */
    static final int MAX_BATCH = 256;
    /** The page cache of the committer and of each reader, in KiB (see {@link #connect}). */
    static final int PAGE_CACHE_KIB = 8_192;

    private final Path file;
    private final ProcessLock owner;
    private final Connection connection;
    /** The driver's handle of {@link #connection}, for SQLite's count of rows changed. */
    private final DB database;
    /** The committer's compiled statements, kept for the life of the connection. */
    private final Statements.Cached statements;
    /** The transaction the committer is running now: one per caller, so memos die with a savepoint. */
    private SqliteTransaction current;
    private final SeedCache seeds = new SeedCache();
    /** This process owns the file, so reads may be kept across transactions (see OwnedReads). */
    private final OwnedReads owned = OwnedReads.owned();
    private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
    private final Thread committer;
    private final Object lifecycle = new Object();
    private final CommitListener listener;
    private boolean closed;
    /** Why the committer stopped when nobody closed the store (it should never): every later write is refused. */
    private volatile Throwable stopped;
    /** Whether the group being run took in the close's STOP (committer thread only). */
    private boolean stopAfterBatch;
    /** A full disk: the operator is told once, and once when it is over. */
    private final StoreOutage outage;
    /** Told after a group commit whose transactions opened work (committer thread only sets the flag). */
    private final UnitsOpened unitsOpened = new UnitsOpened();
    private boolean groupOpenedUnits;
    /** Whether one of those units is claimable work (not only a lease ended). */
    private boolean groupOpenedWork;
    /** An afterCommit hook that threw: logged, and the kept reads forgotten. */
    private final WorkerFailures hookFailures = new WorkerFailures(LOG, "a committed transaction's after-commit step");
    private final WorkerFailures listenerFailures = new WorkerFailures(LOG, "the commit listener (metrics)");
    /** Rows read by the committer and the readers together. */
    private final RowsRead rowsRead = new RowsRead();
    private final WriteVersion written = new WriteVersion();
    /** Read-only connections for {@link #inReadTransaction}, opened as needed, at most {@value #READERS}. */
    private final ReadConnections readers;
    /** Copies the log into the database file off the committer (its auto-checkpoint off); null where the committer does. */
    private final WalCheckpointer checkpointer;
    /**
     * Held by the committer from a group's first statement to its commit or rollback, and by the
     * checkpointer's TRUNCATE: that one holds SQLite's write lock while it waits for readers, and a
     * transaction that has read cannot wait for the write lock (SQLite answers it BUSY at once).
     */
    private final java.util.concurrent.locks.ReentrantLock group = new java.util.concurrent.locks.ReentrantLock();

    /** Told the size of each group commit, for metrics. */
    @FunctionalInterface
    public interface CommitListener {
        void committed(int transactions, long nanos);
    }

    private static DB unwrapped(Connection connection) {
        try {
            return connection.unwrap(SQLiteConnection.class).getDatabase();
        } catch (SQLException e) {
            throw new IllegalStateException("not a connection of sqlite-jdbc: " + connection.getClass().getName(), e);
        }
    }

    private SqliteStore(Path file, ProcessLock owner, Connection connection, CommitListener listener,
            WalCheckpoints checkpoints) throws SQLException {
        this.file = file;
        this.owner = owner;
        this.connection = connection;
        this.database = unwrapped(connection);
        this.statements = new Statements.Cached(connection, rowsRead);
        this.listener = listener;
        this.readers = new ReadConnections(file, READERS, rowsRead);
        this.outage = new StoreOutage(LOG, file.toString());
        this.checkpointer = checkpoints.onCommitter() ? null
                : WalCheckpointer.start(file, written::now, group, checkpoints.periodMillis());
        this.committer = new Thread(this::commitLoop, "sqlite-committer");
        committer.setDaemon(true);
        committer.start();
    }

    public static SqliteStore open(Path dataDir) throws IOException {
        return open(dataDir, (n, nanos) -> { });
    }

    public static SqliteStore open(Path dataDir, CommitListener listener) throws IOException {
        WalCheckpoints checkpoints;
        try {
            checkpoints = WalCheckpoints.from(System.getProperties());
        } catch (IllegalArgumentException e) {
            throw new IOException("cannot open coordinator database in " + dataDir + ": " + e.getMessage(), e);
        }
        return open(dataDir, listener, checkpoints);
    }

    static SqliteStore open(Path dataDir, CommitListener listener, WalCheckpoints checkpoints) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(FILE_NAME);
        // Reads are kept in memory across transactions (OwnedReads), so a second coordinator on
        // this file would serve from caches the first one's commits made stale.
        ProcessLock owner = ProcessLock.acquire(dataDir.resolve(FILE_NAME + ".lock"),
                "the coordinator database " + file.toAbsolutePath());
        try {
            SqliteFileCheck.requireWhole(file);
        } catch (IOException e) {
            owner.close();
            throw e;
        }
        try {
            Connection connection = connect(file);
            SqliteSchema.migrate(connection, Dialect.SQLITE);
            // SQLite's own checkpoint would run inside whichever group commit crossed 1,000 pages
            // of log, and every caller behind it would wait: WalCheckpointer does it instead.
            try (Statement s = connection.createStatement()) {
                s.execute("PRAGMA wal_autocheckpoint = "
                        + (checkpoints.onCommitter() ? WalCheckpoints.AUTO_CHECKPOINT_PAGES : 0));
            }
            connection.commit();
            return new SqliteStore(file, owner, connection, listener, checkpoints);
        } catch (SQLException | RuntimeException e) {
            owner.close();
            throw new IOException("cannot open coordinator database " + file + ": " + e.getMessage(), e);
        }
    }

    static Connection connect(Path file) throws SQLException {
        SqliteNativeLibrary.load();
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(10_000);
        // Reads of the file go through the memory map rather than a read call per page; the page
        // cache holds what the log has newer, and what a transaction writes. It is kept small (8
        // MiB) because SQLite's cache pays per page it holds at every commit: the truncate that
        // ends each write transaction walked a 64 MiB cache's whole hash table (9% of the
        // committer's samples, performance.md's tenth pass). Durability is unchanged either way.
        config.setCacheSize(-PAGE_CACHE_KIB);
        config.setPragma(SQLiteConfig.Pragma.MMAP_SIZE, Long.toString(256L << 20));
        // Sorts and temporary indexes stay in memory too; temporary data is never durable anyway.
        config.setTempStore(SQLiteConfig.TempStore.MEMORY);
        config.enforceForeignKeys(true);
        // Nothing here asks for JDBC's generated keys (a new row's key comes back by RETURNING), and
        // with them on the driver runs a regex over every statement it executes and compiles and
        // steps a fresh "SELECT last_insert_rowid()" after every INSERT: one statement per insert.
        config.setGetGeneratedKeys(false);
        Connection connection = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
        connection.setAutoCommit(false);
        return connection;
    }

    @Override
    public void onUnitsOpened(Runnable listener) {
        unitsOpened.listen(listener);
    }

    @Override
    public void onLeasesEnded(Runnable listener) {
        unitsOpened.listenForLeases(listener);
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
            refuseIfStopped();
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
        return readers.run(work);
    }

    /** Read-only connections at once; more readers wait (each view is one short snapshot). */
    static final int READERS = 4;

    /**
     * Copies the whole database, consistent as of one moment, to {@code target} while the store
     * keeps serving ({@link SqliteBackup}: never a partial file under the target's name).
     */
    public void backup(Path target) throws IOException {
        SqliteBackup.write(file, target);
    }

    /** SQLite's auto-checkpoint threshold on the committer's connection, in pages (0: never): for tests. */
    int committerAutoCheckpointPages() {
        return inTransaction(tx -> {
            try (Statement s = connection.createStatement();
                    java.sql.ResultSet r = s.executeQuery("PRAGMA wal_autocheckpoint")) {
                r.next();
                return r.getInt(1);
            } catch (SQLException e) {
                throw new StoreException("cannot read wal_autocheckpoint: " + e.getMessage(), e);
            }
        });
    }

    WalCheckpointer checkpointer() {
        return checkpointer;
    }

    private void refuseIfStopped() {
        Throwable why = stopped;
        if (why != null) {
            throw new StoreException("the store's committer stopped (" + why + "); restart the coordinator", why);
        }
    }

    @Override
    public long rowsRead() {
        return rowsRead.total();
    }

    @Override
    public long writeVersion() {
        return written.now();
    }

    /** No: the store's file is held by this process alone ({@code ProcessLock}). */
    @Override
    public boolean writtenByOthers() {
        return false;
    }

    @Override
    public long queriesRun() {
        return rowsRead.queries();
    }

    @Override
    public long statementsRun() {
        return rowsRead.statements();
    }

    @Override
    public long readSteps() {
        return readers.steps();
    }

    @Override
    public Optional<String> trouble() {
        Throwable why = stopped;
        return why != null ? Optional.of(file + ": the committer stopped (" + why + ")") : outage.now();
    }

    private void commitLoop() {
        try {
            while (true) {
                Pending<?> first;
                try {
                    first = queue.take();
                } catch (InterruptedException e) {
                    break;
                }
                if (first == Pending.STOP || runBatch(first)) {
                    break;
                }
            }
        } catch (Throwable t) {
            // runBatch answers every failure of a transaction itself; whatever still reaches here
            // (it should not) must not leave callers waiting for a thread that is gone. The
            // process goes on serving reads, refuses writes with 503, and /healthz says why.
            LOG.error("{}: the committer stopped; every write is refused until the coordinator restarts", file, t);
            synchronized (lifecycle) {
                stopped = t;
                StoreException failure = new StoreException("the store's committer stopped (" + t + ")", t);
                for (Pending<?> p; (p = queue.poll()) != null; ) {
                    p.fail(failure);
                }
            }
        }
        if (checkpointer != null) {
            checkpointer.close();
        }
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
        long start = System.nanoTime();
        List<Pending<?>> batch = new ArrayList<>();
        batch.add(first);
        List<Pending<?>> succeeded = new ArrayList<>();
        List<Runnable> afterCommit = new ArrayList<>();
        stopAfterBatch = false;
        groupOpenedUnits = false;
        groupOpenedWork = false;
        group.lock();
        try {
            long changesBefore = rowsChanged();
            runAndCommit(batch, succeeded, afterCommit);
            if (rowsChanged() != changesBefore) {
                written.moved();
            }
        } catch (SQLException | RuntimeException | Error e) {
            written.moved();  // the commit call may have failed after the commit
            // The group is rolled back and each caller is told; the committer takes the next group.
            // An Error too (out of memory in a savepoint, a failed commit call): left to end this
            // thread, it left every later caller waiting for good.
            outage.failed(e);
            current = null;
            seeds.clear();
            owned.clear();
            rollback();
            StoreException failure = e instanceof SQLException
                    ? new StoreException("database commit failed: " + e.getMessage(), e)
                    : new StoreException("database commit failed: " + e, e);
            if (!(e instanceof SQLException) && !StoreException.isDiskFull(e)) {
                LOG.error("{}: a group commit failed outside its transactions; its callers are refused", file, e);
            }
            for (Pending<?> p : batch) {
                p.fail(failure);  // no effect on those already failed
            }
            return stopAfterBatch;
        } finally {
            group.unlock();
        }
        if (!succeeded.isEmpty()) {
            outage.succeeded();
        }
        runAfterCommit(afterCommit);
        try {
            listener.committed(batch.size(), System.nanoTime() - start);
            listenerFailures.succeeded();
        } catch (Throwable t) {  // metrics only: the commit stands, its callers are answered
            listenerFailures.failed(t);
        }
        succeeded.forEach(Pending::complete);
        if (groupOpenedWork) {
            unitsOpened.fire();
        } else if (groupOpenedUnits) {
            unitsOpened.leasesEnded();
        }
        return stopAfterBatch;
    }

    /**
     * Runs each committed transaction's after-commit steps (they put what it wrote into the kept
     * reads). The commit stands whatever they do: one that throws is logged and, as the kept reads
     * may now miss this commit's writes, they are all forgotten (read again from the database).
     */
    private void runAfterCommit(List<Runnable> steps) {
        Throwable failed = null;
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (Throwable t) {
                failed = t;
            }
        }
        if (failed != null) {
            seeds.clear();
            owned.clear();
            hookFailures.failed(failed);
        } else if (!steps.isEmpty()) {
            hookFailures.succeeded();
        }
    }

    /** Runs the batch, each caller in its own savepoint, taking in what arrives meanwhile; then commits. */
    /**
     * Rows the committer's connection has inserted, updated or deleted since it opened (SQLite's
     * own count, no statement). A group that changed none leaves every view as it was, so it does
     * not move {@link #writeVersion}: the lease sweep's transaction each second finds nothing due
     * on an idle coordinator, and moving the version for it kept shared pages alive a second at most.
     */
    private long rowsChanged() throws SQLException {
        return database.total_changes();
    }

    private void runAndCommit(List<Pending<?>> batch, List<Pending<?>> succeeded, List<Runnable> afterCommit)
            throws SQLException {
        boolean stop = false;  // the close's STOP was taken in: nothing more is drained
        for (int next = 0; next < batch.size(); next++) {
            Pending<?> p = batch.get(next);
            current = new SqliteTransaction(connection, statements, seeds, owned);
            savepoint("SAVEPOINT caller");
            try {
                p.run(current);
                savepoint("RELEASE caller");
                current.released();
                groupOpenedUnits |= current.unitsOpened();
                groupOpenedWork |= current.workOpened();
                succeeded.add(p);
                afterCommit.addAll(current.afterCommit());
            } catch (RuntimeException | Error e) {
                outage.failed(e);
                savepoint("ROLLBACK TO caller");
                savepoint("RELEASE caller");
                p.fail(e);
            }
            if (next == batch.size() - 1 && !stop && batch.size() < MAX_BATCH) {
                queue.drainTo(batch, MAX_BATCH - batch.size());
                stop = batch.remove(Pending.STOP);
                stopAfterBatch |= stop;
            }
        }
        current = null;
        connection.commit();
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

    private void rollback() {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // SQLite may have rolled the transaction back itself (it does on SQLITE_FULL), so the
            // driver's ROLLBACK failed and the BEGIN it runs after one never ran. Without a BEGIN
            // the next group's savepoints would each commit alone when released and its commit
            // fail ("no transaction is active"): callers answered 500 for what was stored (seen
            // once space returned after a full disk).
            try (Statement begin = connection.createStatement()) {
                begin.execute("BEGIN");
            } catch (SQLException alreadyInOne) {
                // the rollback failed with the transaction still open, or the connection is broken:
                // the original failure is what matters
            }
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
