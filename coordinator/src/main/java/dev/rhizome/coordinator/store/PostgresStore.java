package dev.rhizome.coordinator.store;

import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The shared store: a PostgreSQL database that several coordinators may serve at once. Writing
 * transactions run READ COMMITTED under explicit locks, which make them behave as if one ran after
 * the other where they touch the same state:
 *
 * <ul>
 *   <li>Every writing transaction but a claim and a result takes the writers' lock (a
 *       transaction-scoped advisory lock, one per database and schema) as its first statement and
 *       holds it to its end, so expiry, renewals and registrations run one at a time, across all
 *       coordinators, each statement seeing all that the previous holder committed.
 *   <li>A result with its settlement and adoption ({@link #inSettlingTransaction}) holds the
 *       writers' lock shared, beside other results and apart from every other writer, and takes
 *       the locks of the directions, the commit and the keys it will change
 *       ({@link Transaction#lockForSettlement}) all at once, in ascending order, before it locks
 *       a row: results that share none of them run at once, the others one after the other.
 *   <li>A view ({@link #inReadTransaction}) takes its snapshot while no writer is in flight, so
 *       the keys results append beside each other, which may commit out of order, are never
 *       skipped by a keyset page.
 *   <li>A claim ({@link #inKeyedTransaction}) holds instead the locks of its claimant's key and its
 *       replicas' network, so its counts (leases held, leases today, nonces) and its network's
 *       replicas are exact, and, where lease caps are set, one of its address's network's claim
 *       slots ({@link Transaction#lockOneSlot}), or all of them near a cap, so the leases its
 *       address and network hold ({@code core.LeaseCaps}) are exact with up to that many of its
 *       claims at once; it runs beside the writers and the other claims. It takes its unit from the open
 *       queue with {@code FOR UPDATE SKIP LOCKED}, which re-checks the row as last committed: a unit
 *       is never leased twice. A claim that must expire leases or may start an exploration joins
 *       the writers' lock first ({@link Transaction#serializeWithWriters}), before it locks any row.
 *   <li>A writer that changes units it read (a result's unit, a trial's replicas, an expired lease)
 *       reads them {@code FOR UPDATE}: a claim holding one is waited for, then seen as it left it.
 * </ul>
 *
 * Claims never wait for a lock while holding a row, writers take row locks only after the
 * writers' lock, and results only after all their settlement locks, so the locks cannot wait on
 * each other in a cycle; a deadlock or serialization
 * failure PostgreSQL reports anyway is rolled back and run again from the start, never answered.
 * Commits wait for the WAL flush (synchronous_commit on, as PostgreSQL ships), and PostgreSQL
 * shares one flush among commits that arrive together.
 *
 * <p>Address: {@code postgresql://USER:PASSWORD@HOST:PORT/DATABASE?schema=NAME&pool=N&timeout=S&read_timeout=S&migrate_timeout=S};
 * the schema (default {@code public}) is created when missing, the pool (default 8) is the number
 * of connections this coordinator holds. {@code timeout} (default 10 s) is the longest a write (a
 * claim, a result, a renewal, an announcement: every {@link #inTransaction}) waits for any one
 * thing from the database: a free connection, a new connection, the answer to a statement;
 * {@code read_timeout} (default 300 s) is the same for a view ({@link #inReadTransaction}), whose
 * single statements may rightly run long. A database that hangs (stopped, or a network that drops
 * packets without a reset) is then a 503 within that bound instead of a request held until the
 * operating system gives the connection up, which for a stopped server it never does.
 * {@code migrate_timeout} (default 900 s) bounds the start's schema migration the same way
 * ({@link MigrationBounds}).
 */
public final class PostgresStore implements Store {
    static final int MAX_ATTEMPTS = 200;
    static final int DEFAULT_TIMEOUT_SECONDS = 10;
    static final int DEFAULT_READ_TIMEOUT_SECONDS = 300;

    private final String jdbcUrl;
    private final String schema;
    private final Properties properties;
    private final BlockingQueue<Connection> pool;
    /** Read transactions at once: half the pool (see {@link #inReadTransaction}). */
    private final Semaphore readers;
    private final List<Connection> all = new ArrayList<>();
    /** How long a write, and a view, waits for any one thing from the database (see the class comment). */
    private final Waits waits;
    private volatile boolean closed;
    private final SeedCache seeds = new SeedCache();
    private final RowsRead rowsRead = new RowsRead();
    private final WriteVersion written = new WriteVersion();
    /** The database out of reach (stopped, killed, restarting) or its disk full: told once, and once when over. */
    private final StoreOutage outage;
    private final UnitsOpened unitsOpened = new UnitsOpened();
    /** Started by the first listener: a store nobody holds claims on listens to nothing. */
    private OpenedUnitsChannel channel;  // guarded by unitsOpened
    private LeaseEndNotices leaseNotices;  // guarded by unitsOpened

    /** The bounds of {@code timeout} and {@code read_timeout}, in milliseconds. */
    record Waits(int writeMs, int readMs) {
    }

    private PostgresStore(String jdbcUrl, String schema, Properties properties, int size, Waits waits) throws SQLException {
        this.outage = new StoreOutage(org.slf4j.LoggerFactory.getLogger(PostgresStore.class), redact(jdbcUrl));
        this.waits = waits;
        this.jdbcUrl = jdbcUrl;
        this.schema = schema;
        this.properties = properties;
        this.pool = new ArrayBlockingQueue<>(size);
        this.readers = new Semaphore(Math.max(1, size / 2), true);
        try {
            for (int i = 0; i < size; i++) {
                Connection c = connect();
                all.add(c);
                pool.add(c);
            }
        } catch (SQLException e) {
            closeAll();
            throw e;
        }
    }

    public static boolean handles(String address) {
        return address.startsWith("postgresql://") || address.startsWith("postgres://");
    }

    public static PostgresStore open(String address) throws IOException {
        return open(PostgresAddress.parse(address), address);
    }

    private static Properties credentials(PostgresAddress at) {
        Properties props = new Properties();
        if (at.user() != null) {
            props.setProperty("user", at.user());
            if (at.password() != null) {
                props.setProperty("password", at.password());
            }
        }
        return props;
    }

    /**
     * Drops the address's schema and everything in it: what a throwaway store (a benchmark's
     * fresh schema) leaves behind. Waits at most {@code lockWaitSeconds} for the locks of its
     * tables (a coordinator still using it), then fails rather than hang.
     */
    public static void dropSchema(PostgresAddress at, int lockWaitSeconds) throws IOException {
        Properties props = credentials(at);
        props.setProperty("connectTimeout", "5");
        props.setProperty("loginTimeout", "5");
        try (Connection c = DriverManager.getConnection(at.jdbcUrl(), props);
                Statement s = c.createStatement()) {
            s.execute("SET lock_timeout = '" + lockWaitSeconds + "s'");
            // the schema name is a checked lower-case identifier (PostgresAddress), never quoted input
            s.execute("DROP SCHEMA IF EXISTS " + at.schema() + " CASCADE");
        } catch (SQLException e) {
            throw new IOException("cannot drop schema " + at.schema() + ": " + e.getMessage(), e);
        }
    }

    /** Opens the parsed address; {@code address} is its text, named (without its password) in a failure. */
    static PostgresStore open(PostgresAddress at, String address) throws IOException {
        Properties props = credentials(at);
        int timeout = at.timeoutSeconds();
        int migrateTimeout = at.migrateTimeoutSeconds();
        String schema = at.schema();
        props.setProperty("currentSchema", schema);
        props.setProperty("ApplicationName", "rhizome-coordinator");
        // A database that is down answers a connection at once (refused); one whose host is gone
        // would hold each request for the driver's default: bounded, so requests get their 503.
        props.setProperty("connectTimeout", Integer.toString(Math.min(5, timeout)));
        // A server that accepts the connection and then answers nothing (stopped) would hold the
        // login, the coordinator's start included, for good.
        props.setProperty("loginTimeout", Integer.toString(timeout));
        String jdbc = at.jdbcUrl();
        try {
            try (Connection setup = DriverManager.getConnection(jdbc, MigrationBounds.connection(props, migrateTimeout));
                    Statement s = setup.createStatement()) {
                try {
                    MigrationBounds.session(s, migrateTimeout);
                    // CREATE SCHEMA IF NOT EXISTS is not safe against itself: two coordinators starting
                    // together on a new schema both pass the check and one fails on the catalogue's
                    // unique name. So it runs under the migrations' lock, in a transaction of its own.
                    setup.setAutoCommit(false);
                    s.execute("SELECT pg_advisory_xact_lock(" + SqliteSchema.MIGRATION_LOCK + ")");
                    s.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
                    setup.commit();
                    SqliteSchema.migrate(setup, Dialect.POSTGRESQL);
                } catch (SQLException e) {
                    throw MigrationBounds.failure(e, migrateTimeout);
                }
            }
            // Every read of the serving connections, the login included, waits at most this long;
            // a view raises it for its own transaction.
            props.setProperty("socketTimeout", Integer.toString(timeout));
            ServingBounds.connection(props);
            return new PostgresStore(jdbc, schema, props, at.pool(), new Waits(timeout * 1000, at.readTimeoutSeconds() * 1000));
        } catch (SQLException e) {
            throw new IOException("cannot open coordinator database " + redact(address) + ": " + e.getMessage(), e);
        }
    }

    private Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection(jdbcUrl, properties);
        try {
            ServingBounds.session(c, waits.writeMs());
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        return c;
    }

    /** The first key of the two-key advisory locks this store takes: "Rhz". */
    static final int LOCK_SPACE = 0x52687A;
    /** The first key of the locks {@link #inKeyedTransaction} takes: "Rhk", apart from the writers' lock. */
    static final int KEY_SPACE = 0x52686B;

    /**
     * The second key of the writers' lock of a schema, held by every writing transaction but a
     * claim's (see the class comment). Advisory locks are the database's, so the schema is in
     * the key: stores in other schemas of one database do not queue behind each other.
     */
    static int writersLock(String schema) {
        return ("writers " + schema).hashCode();
    }

    /** The second key of a keyed transaction's lock on {@code key} in a schema. */
    static int keyLock(String schema, String key) {
        return (schema + " " + key).hashCode();
    }

    /** Runs alone among the writers, on any coordinator sharing the database. */
    @Override
    public <T> T inTransaction(Work<T> work) {
        return inKeyedTransaction(List.of(), tx -> {
            tx.serializeWithWriters();
            return work.run(tx);
        });
    }

    /**
     * Holds the writers' lock shared: beside other settling results, apart from every other
     * writer; the work takes its own locks ({@link Transaction#lockForSettlement}) before it
     * locks or changes anything.
     */
    @Override
    public <T> T inSettlingTransaction(Work<T> work) {
        return onWritingConnection(tx -> {
            tx.settleBesideOthers();
            return work.run(tx);
        });
    }

    /**
     * Holds the keys' transaction-scoped advisory locks, taken first in the order of their hashes
     * (two transactions naming the same keys never wait on each other in a cycle), and not the
     * writers' lock unless the work asks for it ({@link Transaction#serializeWithWriters}).
     */
    @Override
    public <T> T inKeyedTransaction(List<String> keys, Work<T> work) {
        int[] locks = keys.stream().mapToInt(key -> keyLock(schema, key)).distinct().sorted().toArray();
        return onWritingConnection(tx -> {
            tx.lockKeys(locks);
            return work.run(tx);
        });
    }

    /**
     * Runs a writing transaction on a connection borrowed for it (waiting at most {@code timeout}),
     * again from its start after a deadlock or serialization failure ({@link #run}); the work takes
     * its locks first. A connection that broke under it is replaced by its next borrower.
     */
    private <T> T onWritingConnection(LockingWork<T> work) {
        Connection c = borrow(waits.writeMs());
        boolean healthy = true;
        try {
            return run(c, work);
        } catch (BrokenConnection e) {
            healthy = false;
            throw e.failure;
        } finally {
            giveBack(c, healthy);
        }
    }

    /**
     * A snapshot read (REPEATABLE READ, READ ONLY): a long view sees one consistent state, and it
     * may use at most half the pool, so views never leave the writers without a connection. Its
     * snapshot is taken while it holds the writers' lock (a session lock, released by the
     * statement that takes the snapshot): settling results append rows beside each other, so a
     * key can commit after a larger one; once no writer is in flight, every key below the largest
     * the view sees is committed or rolled back, and a keyset page never skips one committed late.
     * The view waits for the writers in flight (each bounded by {@code timeout}), never for one
     * that starts after it, and holds up new writers only until its snapshot is taken.
     */
    @Override
    public <T> T inReadTransaction(Work<T> work) {
        try {
            if (!readers.tryAcquire(waits.readMs(), TimeUnit.MILLISECONDS)) {
                throw noConnectionWithin(waits.readMs());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted waiting for a database connection", null);
        }
        try {
            Connection c = borrow(waits.readMs());
            boolean healthy = true;
            try {
                c.setNetworkTimeout(Runnable::run, waits.readMs());
                awaitWritersInFlight(c);
                c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                c.setReadOnly(true);
                try {
                    snapshotAndLetWritersOn(c);
                    // what PostgreSQL spends on the view is the asker's cost (http.ReadWork charges it)
                    T value = DatabaseTime.timed(() -> work.run(
                            new SqliteTransaction(c, Statements.uncached(c, rowsRead), seeds, OwnedReads.none())));
                    outage.succeeded();
                    return value;
                } catch (RuntimeException e) {
                    outage.failed(e);
                    throw e;
                } finally {
                    c.rollback();
                    c.setReadOnly(false);
                    c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                    ServingBounds.endIdleWithWritersLock(c);
                    c.setNetworkTimeout(Runnable::run, waits.writeMs());
                }
            } catch (SQLException e) {
                healthy = false;
                outage.failed(e);
                throw new StoreException("database read failed: " + e.getMessage(), e);
            } finally {
                giveBack(c, healthy);
            }
        } finally {
            readers.release();
        }
    }

    /** Takes the writers' lock for this session (see {@link #inReadTransaction}); its transaction is over after. */
    private void awaitWritersInFlight(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            // bounded as a view's every wait is; a writer that holds the lock longer is stuck
            s.execute("SELECT set_config('lock_timeout', '" + waits.readMs() + "ms', true), " + ServingBounds.viewBounds(waits.readMs()));
            // the session bound goes with the lock: the transaction that takes it commits both, or neither
            s.execute("SELECT pg_advisory_lock(" + LOCK_SPACE + ", " + writersLock(schema) + ")"
                    + ServingBounds.idleWithWritersLock(c, waits.writeMs()));
        } catch (SQLException e) {
            if ("55P03".equals(e.getSQLState())) {
                throw new SQLException("the writers in flight did not finish within " + waits.readMs() / 1000
                        + " s", "08006", e);
            }
            throw e;
        }
        c.commit();
        viewWindow.run();
    }

    /** Run between a view's taking the writers' lock and its snapshot: a test stalls the connection there. */
    private volatile Runnable viewWindow = () -> { };

    void atViewWindow(Runnable hook) {
        viewWindow = hook;
    }

    /**
     * The first statement of the view's transaction, so its snapshot, taken as it starts, is
     * taken under the writers' lock; the lock is released by it.
     */
    private void snapshotAndLetWritersOn(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_unlock(" + LOCK_SPACE + ", " + writersLock(schema) + "), "
                    + ServingBounds.viewBounds(waits.readMs()));
        }
    }

    /** Work given the JDBC transaction itself, which takes this store's locks. */
    @FunctionalInterface
    private interface LockingWork<T> {
        T run(SqliteTransaction tx);
    }

    /** A failure after which the connection could not even roll back: it is replaced. */
    private static final class BrokenConnection extends RuntimeException {
        final RuntimeException failure;

        BrokenConnection(RuntimeException failure) {
            super(failure);
            this.failure = failure;
        }
    }

    /** Runs the work on one connection, again from its start after a deadlock or serialization failure. */
    private <T> T run(Connection c, LockingWork<T> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                SqliteTransaction tx = new SqliteTransaction(c, Statements.uncached(c, rowsRead), seeds, OwnedReads.none(),
                        writersLock(schema));
                T value = work.run(tx);
                tx.sendWaitingWrites();
                boolean leasesOnly = tx.unitsOpened() && !tx.workOpened();
                if (tx.unitsMadeOpen() || (tx.unitsOpened() && !tx.settlesBesideOthers())) {
                    // The other coordinators' held claims. PostgreSQL commits the transactions that
                    // sent a notice one at a time, database-wide (a lock from the notice to the end
                    // of the commit): the writers' lock holders run one at a time anyway, but results
                    // settle beside each other, so a result notifies in its transaction only where
                    // it opened a unit (a replica, a tie-breaker); the lease it ended is told after
                    // its commit, by a notice of its own (below).
                    OpenedUnitsChannel.notify(c, schema, !tx.workOpened());
                    leasesOnly = false;
                }
                boolean answered = tx.storedRecordsOrLeases();
                if (answered) {
                    CrashPoints.at(CrashPoints.PG_COMMITTING);
                }
                boolean wrote = wroteRows(c, tx);
                try {
                    c.commit();
                } finally {
                    if (wrote) {
                        written.moved();  // a failed commit call's outcome is unknown: moved as for a commit
                    }
                }
                if (answered) {
                    CrashPoints.at(CrashPoints.PG_COMMITTED);
                }
                outage.succeeded();
                if (tx.workOpened()) {
                    unitsOpened.fire();
                } else if (tx.unitsOpened()) {
                    unitsOpened.leasesEnded();
                }
                if (leasesOnly) {
                    leaseNotices().send();
                }
                return value;
            } catch (SQLException | RuntimeException e) {
                outage.failed(e);
                SQLException broken = rollback(c);
                if (broken == null && Dialect.isRetryable(e) && attempt < MAX_ATTEMPTS) {
                    backoff(attempt);
                    continue;
                }
                RuntimeException failure = e instanceof RuntimeException r ? r
                        : new StoreException("database commit failed: " + e.getMessage(), (SQLException) e);
                if (broken == null) {
                    throw failure;
                }
                // The connection went with the failure (the database died or stopped answering in
                // the middle): nothing was committed and the same request succeeds once it is back,
                // so it is "unavailable" (503) whatever the work's own failure was (a serialization
                // failure it could no longer retry was a 500).
                broken.addSuppressed(failure);
                outage.failed(broken);
                throw new BrokenConnection(new StoreException("database connection lost: " + broken.getMessage(), broken));
            }
        }
    }

    /**
     * Whether the transaction on {@code c} has changed a row. Its statements' own counts say so at
     * no cost where one of them changed a row, as every claim and result does. Otherwise the
     * server is asked: PostgreSQL gives a transaction its id at its first insert, update, delete or
     * row lock, never for reads, advisory locks or notices, so a write the counts cannot see (a
     * {@code WITH} that writes, a batch the driver reports no count for) is still found. One that
     * has none commits nothing a view could read, so it leaves {@link #writeVersion} (the lease
     * sweep's each second on an idle coordinator: moving the version for it made no shared page
     * outlive a second). The question is a statement and a round trip, counted as a read; the
     * name is PostgreSQL 10's, which later servers keep.
     */
    private boolean wroteRows(Connection c, SqliteTransaction tx) throws SQLException {
        if (tx.rowsChanged() > 0) {
            return true;
        }
        try (Statement s = c.createStatement();
                ResultSet assigned = s.executeQuery("SELECT txid_current_if_assigned() IS NOT NULL")) {
            rowsRead.queried();
            return !assigned.next() || assigned.getBoolean(1);
        }
    }

    /**
     * A connection from the pool, waiting at most {@code waitMs} for one to come free (they are all
     * held by requests waiting on a database that hangs: this one is refused too, not queued for
     * good); one the driver closed (its server went away, or did not answer in time) is replaced
     * first, so the first requests after the database is back do not each fail on a dead connection.
     */
    private Connection borrow(int waitMs) {
        if (closed) {
            throw new IllegalStateException("store is closed");
        }
        Connection c;
        try {
            c = pool.poll(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted waiting for a database connection", null);
        }
        if (c == null) {
            throw noConnectionWithin(waitMs);
        }
        if (!isClosed(c)) {
            return c;
        }
        try {
            Connection fresh = connect();
            swap(c, fresh);
            return fresh;
        } catch (SQLException e) {
            pool.add(c);  // still closed: the next borrower tries again
            outage.failed(e);
            throw new StoreException("database unreachable: " + e.getMessage(), e);
        }
    }

    /** Every connection held past the bound: the database is not answering the requests that hold them. */
    private StoreException noConnectionWithin(int waitMs) {
        StoreException e = new StoreException("no database connection came free within " + waitMs / 1000 + " s",
                new java.sql.SQLTransientConnectionException("every connection is waiting on the database", "08001"));
        outage.failed(e);
        return e;
    }

    private static boolean isClosed(Connection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    private void swap(Connection old, Connection fresh) {
        synchronized (all) {
            all.remove(old);
            all.add(fresh);
        }
    }

    @Override
    public void onUnitsOpened(Runnable listener) {
        unitsOpened.listen(listener);
        synchronized (unitsOpened) {
            if (channel == null && !closed) {
                channel = new OpenedUnitsChannel(jdbcUrl, properties, schema, unitsOpened);
            }
        }
    }

    @Override
    public void onLeasesEnded(Runnable listener) {
        unitsOpened.listenForLeases(listener);
        onUnitsOpened(() -> { });  // starts the listening channel
    }

    /** The notices of settled results' ended leases, started by the first such result. */
    private LeaseEndNotices leaseNotices() {
        synchronized (unitsOpened) {
            if (leaseNotices == null) {
                leaseNotices = new LeaseEndNotices(jdbcUrl, properties, schema);
            }
            return leaseNotices;
        }
    }

    @Override
    public long rowsRead() {
        return rowsRead.total();
    }

    /** This process's writes only: other coordinators on the database move it not ({@link #writtenByOthers}). */
    @Override
    public long writeVersion() {
        return written.now();
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
    public Optional<String> trouble() {
        return outage.now();
    }

    /**
     * A connection that could not even roll back is closed, and replaced by its next borrower
     * ({@link #borrow}), so a restarted server is picked up again. Not here: the request that
     * broke it would wait for a new connection before its answer (a database that hangs holds a
     * new connection for the whole bound).
     */
    private void giveBack(Connection c, boolean healthy) {
        if (!healthy) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already broken
            }
        }
        pool.add(c);
    }

    /** Rolls back; null when it did, else why not (the connection is broken). */
    private static SQLException rollback(Connection c) {
        try {
            c.rollback();
            return null;
        } catch (SQLException e) {
            return e;
        }
    }

    private static void backoff(int attempt) {
        long capMs = Math.min(100, 1L << Math.min(attempt, 7));
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(capMs + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (unitsOpened) {
            if (leaseNotices != null) {
                leaseNotices.close();
            }
            if (channel != null) {
                channel.close();
            }
        }
        closeAll();
    }

    private void closeAll() {
        synchronized (all) {
            for (Connection c : all) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // closing; nothing is pending on a connection that is back in the pool
                }
            }
        }
    }

    /**
     * The {@code pg_dump} command that backs up the store at {@code address} (its schema only) to
     * {@code out}, in pg_dump's custom format ({@code pg_restore} reads it back). The password is left
     * out: pg_dump takes it from {@code PGPASSWORD} or {@code ~/.pgpass}. Backups of a PostgreSQL store
     * are PostgreSQL's job: it knows its own consistency, and this process would only add a copy.
     */
    public static String dumpCommand(PostgresAddress address, Path out) {
        return "pg_dump --format=custom --schema=" + address.schema() + " --file=" + quoted(out.toString()) + " "
                + quoted(dumpTarget(address));
    }

    /** The database pg_dump and pg_restore connect to, as a libpq URI without the password. */
    public static String dumpTarget(PostgresAddress address) {
        String user = address.user() == null || address.user().isEmpty() ? "" : encoded(address.user()) + "@";
        return "postgresql://" + user + address.host() + (address.port() < 0 ? "" : ":" + address.port())
                + "/" + encoded(address.database());
    }

    /**
     * The pg_restore command that puts a backup {@code file} back into the database at {@code address}:
     * in one transaction (all or nothing), replacing what the schema holds (--clean --if-exists: a
     * fresh database's own empty {@code public} schema, which a plain restore stops at, or the
     * damaged schema itself), and stopping at the first error rather than restoring half.
     */
    public static String restoreCommand(PostgresAddress address, Path file) {
        return "pg_restore --clean --if-exists --single-transaction --exit-on-error --dbname="
                + quoted(dumpTarget(address)) + " " + quoted(file.toString());
    }

    /** Percent-encoded as libpq reads a URI's user and database (a space as %20, not +). */
    private static String encoded(String part) {
        return java.net.URLEncoder.encode(part, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String quoted(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    public static String redact(String address) {
        return address.replaceAll("//([^:/@]*):[^@]*@", "//$1:***@");
    }
}
