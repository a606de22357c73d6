package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStoreTest extends StoreContract {
    @TempDir
    Path dataDir;

    @Override
    protected Store openStore() throws Exception {
        return SqliteStore.open(dataDir);
    }

    /** One process owns a SQLite file; concurrency comes from the callers sharing it. */
    @Override
    protected Store secondStore(Store first) {
        return first;
    }

    /**
     * Views read on connections of their own: a read runs while the committer is busy with a long
     * transaction, and sees what was committed before it, not the writer's work in progress.
     */
    @Test
    void aReadTransactionRunsBesideABusyCommitterAndSeesOnlyWhatWasCommitted() throws Exception {
        Store store = store();
        Seed seed = Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01), 1);
        store.inTransaction(tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            return null;
        });
        Seed second = Fixtures.seed(operator, "second", Fixtures.commit(), Fixtures.manifest(1, 0.01), 2);
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> writer = pool.submit(() -> store.inTransaction(tx -> {
                tx.insertSeed(second, Envelopes.sign(operator, second), 2);
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return null;
            }));
            assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue();
            // the committer is held inside the writer's transaction; this read does not wait for it
            List<String> during = store.inReadTransaction(tx -> tx.seeds().stream().map(s -> s.record().getName()).toList());
            assertThat(during).containsExactly("tiny-lm");
            release.countDown();
            writer.get(10, TimeUnit.SECONDS);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        List<String> after = store.inReadTransaction(tx -> tx.seeds().stream().map(s -> s.record().getName()).toList());
        assertThat(after).containsExactly("tiny-lm", "second");
    }

    @Test
    void createsTheSchemaOnceInWalMode() throws Exception {
        store().close();
        store();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(SqliteStore.FILE_NAME));
                ResultSet versions = c.createStatement().executeQuery("SELECT COUNT(*), MAX(version) FROM schema_version");
                ResultSet mode = c.createStatement().executeQuery("PRAGMA journal_mode")) {
            assertThat(versions.getInt(1)).as("each migration ran once").isEqualTo(versions.getInt(2));
            assertThat(versions.getInt(2)).isEqualTo(SqliteSchema.latestVersion());
            assertThat(mode.getString(1)).isEqualToIgnoringCase("wal");
        }
    }

    /**
     * Migration 11 runs on SQLite alone: nothing there reads units by holder (the leases each key
     * holds are kept in memory), so the index every lease and result moved is gone.
     */
    @Test
    void unitsByHolderIsDroppedOnSqliteOnly() throws Exception {
        store().close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(SqliteStore.FILE_NAME));
                ResultSet index = c.createStatement().executeQuery(
                        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'units_by_holder'")) {
            assertThat(index.getInt(1)).isZero();
        }
    }

    /** Its reads are cached in memory, so a second owner of the file would serve stale state. */
    @Test
    void aSecondStoreOnTheSameFileIsRefusedUntilTheFirstCloses() throws Exception {
        Store first = store();
        assertThatThrownBy(() -> SqliteStore.open(dataDir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("the coordinator database " + dataDir.resolve(SqliteStore.FILE_NAME).toAbsolutePath()
                        + " is in use by another running process");
        first.close();
        try (SqliteStore again = SqliteStore.open(dataDir)) {
            List<?> directions = again.inTransaction(tx -> tx.directions());
            assertThat(directions).isEmpty();
        }
    }

    /** Concurrent callers share commits, and each still sees only its own outcome. */
    @Test
    void concurrentTransactionsShareCommitsAndAFailureStaysWithItsCaller() throws Exception {
        AtomicInteger commits = new AtomicInteger();
        AtomicInteger transactions = new AtomicInteger();
        try (SqliteStore store = SqliteStore.open(dataDir, (n, nanos) -> {
            commits.incrementAndGet();
            transactions.addAndGet(n);
        })) {
            ExecutorService pool = Executors.newFixedThreadPool(16);
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                Seed seed = Fixtures.seed(operator, "s" + i, Fixtures.commit(), Fixtures.manifest(1, 0.01), i);
                boolean failing = i % 10 == 0;
                futures.add(pool.submit(() -> store.inTransaction(tx -> {
                    tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
                    if (failing) {
                        throw new IllegalStateException("refused " + seed.getName());
                    }
                    return null;
                })));
            }
            int refused = 0;
            for (int i = 0; i < futures.size(); i++) {
                try {
                    futures.get(i).get(60, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).hasMessage("refused s" + i);
                    refused++;
                }
            }
            pool.shutdown();
            assertThat(refused).isEqualTo(40);
            assertThat(store.inTransaction((Store.Transaction tx) -> tx.seeds())).hasSize(360)
                    .noneMatch(s -> Integer.parseInt(s.record().getName().substring(1)) % 10 == 0);
            assertThat(transactions.get()).isGreaterThanOrEqualTo(401);
            assertThat(commits.get()).as("commits shared by 16 concurrent callers").isLessThan(transactions.get());
        }
    }

    /**
     * The claimant's counts are kept in memory here; within one group commit a caller sees the
     * leases of the callers before it (they commit together) and not those of a caller rolled
     * back to its savepoint. The group is made by holding the committer until all are queued.
     */
    @Test
    void callersOfOneGroupCommitSeeEachOthersLeasesInTheClaimantCounts() throws Exception {
        List<Integer> groups = new CopyOnWriteArrayList<>();
        ByteString node = ByteString.copyFromUtf8("claimant");
        try (SqliteStore store = SqliteStore.open(dataDir, (n, nanos) -> groups.add(n))) {
            store.inTransaction(tx -> {
                for (String id : List.of("u1", "u2")) {
                    tx.insertUnit(UnitRecord.open(id, WorkUnit.Kind.EVALUATE, "tiny-lm", "d", Fixtures.commit(), "",
                            ByteString.EMPTY, 1));
                }
                return null;
            });
            assertThat(store.inTransaction((Store.Transaction tx) -> tx.claimant(node, 0, ""))).isEqualTo(new Claimant(0, Optional.empty(), 0, NO_ORIGIN));
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch gate = new CountDownLatch(1);
            AtomicReference<Claimant> seen = new AtomicReference<>();
            List<Thread> callers = new ArrayList<>();
            callers.add(caller(store, tx -> {
                holding.countDown();
                awaitUninterruptibly(gate);
                return null;
            }));
            holding.await();
            callers.add(caller(store, tx -> {
                tx.updateUnit(tx.unit("u1").orElseThrow().leasedTo(node, 1_000));
                leased(tx, "u1", node, 10);
                return null;
            }));
            callers.add(caller(store, tx -> {
                tx.updateUnit(tx.unit("u2").orElseThrow().leasedTo(node, 1_000));
                leased(tx, "u2", node, 11);
                throw Rejection.conflict("changed my mind");
            }));
            callers.add(caller(store, tx -> {
                seen.set(tx.claimant(node, 0, ""));
                return null;
            }));
            gate.countDown();
            for (Thread t : callers) {
                t.join(60_000);
            }
            assertThat(groups).contains(4);
            assertThat(seen.get()).isEqualTo(new Claimant(1, Optional.empty(), 1, NO_ORIGIN));
            assertThat(store.inTransaction((Store.Transaction tx) -> tx.claimant(node, 0, ""))).isEqualTo(new Claimant(1, Optional.empty(), 1, NO_ORIGIN));
        }
    }

    private static UnitRecord evaluation(String id, String commit) {
        return UnitRecord.open(id, WorkUnit.Kind.EVALUATE, "tiny-lm", "d", commit, "", ByteString.EMPTY, 1);
    }

    private static List<String> page(Store store, ByteString node) {
        return store.inTransaction((Store.Transaction tx) -> tx.openEvaluationsFor(node, 0, 0, 10)).stream()
                .map(UnitRecord::id).toList();
    }

    /**
     * The open queue is kept in memory here: within one group commit a caller's claim page sees
     * the units leased by the callers before it and not those of a caller rolled back to its
     * savepoint (the group is made by holding the committer until all are queued).
     */
    @Test
    void callersOfOneGroupCommitSeeEachOthersLeasesInTheOpenQueue() throws Exception {
        List<Integer> groups = new CopyOnWriteArrayList<>();
        ByteString node = ByteString.copyFromUtf8("claimant");
        ByteString other = ByteString.copyFromUtf8("other");
        try (SqliteStore store = SqliteStore.open(dataDir, (n, nanos) -> groups.add(n))) {
            store.inTransaction(tx -> {
                for (String id : List.of("u1", "u2", "u3")) {
                    tx.insertUnit(evaluation(id, Fixtures.commit()));
                }
                return null;
            });
            assertThat(page(store, other)).containsExactly("u1", "u2", "u3");
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch gate = new CountDownLatch(1);
            AtomicReference<List<String>> seen = new AtomicReference<>();
            List<Thread> callers = new ArrayList<>();
            callers.add(caller(store, tx -> {
                holding.countDown();
                awaitUninterruptibly(gate);
                return null;
            }));
            holding.await();
            callers.add(caller(store, tx -> {
                tx.updateUnit(tx.unit("u1").orElseThrow().leasedTo(node, 1_000));
                return null;
            }));
            callers.add(caller(store, tx -> {
                tx.updateUnit(tx.unit("u2").orElseThrow().leasedTo(node, 1_000));
                throw Rejection.conflict("changed my mind");
            }));
            callers.add(caller(store, tx -> {
                seen.set(tx.openEvaluationsFor(other, 0, 0, 10).stream().map(UnitRecord::id).toList());
                return null;
            }));
            gate.countDown();
            for (Thread t : callers) {
                t.join(60_000);
            }
            assertThat(groups).contains(4);
            assertThat(seen.get()).containsExactly("u2", "u3");
            assertThat(page(store, other)).containsExactly("u2", "u3");
        }
    }

    /**
     * A group commit that fails leaves the database as it was, and the kept open queue and leases
     * with it: callers whose savepoints were released before the failure are not kept. The
     * commit is made to fail by a foreign key checked only at commit (a deferred check).
     */
    @Test
    void aFailedGroupCommitLeavesTheOpenQueueAsTheDatabaseIs() throws Exception {
        ByteString node = ByteString.copyFromUtf8("claimant");
        ByteString other = ByteString.copyFromUtf8("other");
        Method sql = SqliteTransaction.class.getDeclaredMethod("update", String.class, Object[].class);
        sql.setAccessible(true);
        try (SqliteStore store = SqliteStore.open(dataDir)) {
            store.inTransaction(tx -> {
                for (String id : List.of("u1", "u2")) {
                    tx.insertUnit(evaluation(id, Fixtures.commit()));
                }
                return null;
            });
            assertThat(page(store, other)).containsExactly("u1", "u2");
            assertThat(store.inTransaction((Store.Transaction tx) -> tx.leasesHeldBy(node))).isZero();
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch gate = new CountDownLatch(1);
            AtomicInteger failed = new AtomicInteger();
            List<Thread> callers = new ArrayList<>();
            callers.add(caller(store, tx -> {
                holding.countDown();
                awaitUninterruptibly(gate);
                return null;
            }));
            holding.await();
            Store.Work<Object> lease = tx -> {
                tx.updateUnit(tx.unit("u1").orElseThrow().leasedTo(node, 1_000));
                tx.insertUnit(evaluation("u3", Fixtures.commit()));
                assertThat(tx.openEvaluationsFor(other, 0, 0, 10)).extracting(UnitRecord::id).containsExactly("u2", "u3");
                return null;
            };
            Store.Work<Object> breaksTheCommit = tx -> {
                try {
                    sql.invoke(tx, "PRAGMA defer_foreign_keys = ON", new Object[0]);
                    sql.invoke(tx, "INSERT INTO results (envelope_seq, unit_id, direction, commit_id, runner, late) "
                            + "VALUES (?, 'u2', 'd', 'c', X'00', 0)", new Object[] {999_999});
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
                return null;
            };
            for (Store.Work<Object> work : List.of(lease, breaksTheCommit)) {
                Thread t = new Thread(() -> {
                    try {
                        store.inTransaction(work);
                    } catch (StoreException expected) {
                        failed.incrementAndGet();
                    }
                });
                t.start();
                await().atMost(Duration.ofSeconds(60)).until(() -> t.getState() == Thread.State.WAITING);
                callers.add(t);
            }
            gate.countDown();
            for (Thread t : callers) {
                t.join(60_000);
            }
            assertThat(failed.get()).as("both callers learn that their commit failed").isEqualTo(2);
            assertThat(page(store, other)).containsExactly("u1", "u2");
            assertThat(store.inTransaction((Store.Transaction tx) -> tx.leasesHeldBy(node))).isZero();
            assertThat(store.inTransaction((Store.Transaction tx) -> tx.unit("u3"))).isEmpty();
        }
    }

    /**
     * The claim page from the kept open queue against the same page read by the SQL statement (a
     * second connection, nothing kept), after every step of a random run of the writes that move
     * units in and out of the queue, some of them rolled back.
     */
    @Test
    void theOpenQueueGivesTheSamePagesAsTheStatement() throws Exception {
        Random random = new Random(10);
        List<Identity> keys = List.of(Identity.generate(),
                Identity.generate(), Identity.generate());
        List<String> commits = List.of(Fixtures.commit(), Fixtures.commit(), Fixtures.commit());
        // the first two keys claim from one network, the third from another (core.ReplicaNetworks)
        List<String> networks = List.of("203.0.113.0/24", "203.0.113.0/24", "198.51.100.0/24");
        try (SqliteStore store = SqliteStore.open(dataDir);
                Connection reader = SqliteStore.connect(dataDir.resolve(SqliteStore.FILE_NAME))) {
            AtomicInteger units = new AtomicInteger();
            int compared = 0;
            for (int step = 0; step < 300; step++) {
                int op = random.nextInt(7);
                boolean rollBack = random.nextInt(6) == 0;
                int keyIndex = random.nextInt(keys.size());
                Identity key = keys.get(keyIndex);
                ByteString node = key.publicId().toByteString();
                String network = networks.get(keyIndex);
                long now = 1_000L * step;
                int pick = random.nextInt(1_000);
                String commit = commits.get(random.nextInt(commits.size()));
                long seed = random.nextInt(2);
                try {
                    store.inTransaction(tx -> {
                        List<UnitRecord> all = tx.units(Optional.empty());
                        List<UnitRecord> open = all.stream().filter(u -> u.state() == UnitStatus.State.OPEN).toList();
                        List<UnitRecord> leased = all.stream().filter(u -> u.state() == UnitStatus.State.LEASED).toList();
                        switch (op) {
                            case 0, 1 -> {
                                String id = "u" + units.incrementAndGet();
                                tx.insertUnit(evaluation(id, commit));
                                if (pick % 5 != 0) {
                                    tx.setUnitRandomSeed(id, seed);
                                }
                            }
                            case 2 -> {
                                List<UnitRecord> page = tx.openEvaluationsFor(node, network, now, 0, 1);
                                if (!page.isEmpty()) {
                                    tx.updateUnit(page.get(0).leasedTo(node, now + 5_000 + pick));
                                    tx.recordLease(page.get(0).id(), node, now, ByteString.EMPTY, Long.MIN_VALUE, network, "", "");
                                }
                            }
                            case 3 -> tx.expiredLeases(now).forEach(u -> tx.updateUnit(u.expired()));
                            case 4 -> {
                                if (!leased.isEmpty()) {
                                    UnitRecord u = leased.get(pick % leased.size());
                                    if (pick % 2 == 0) {
                                        tx.updateUnit(u.reopened());
                                    } else {
                                        WorkUnit w = WorkUnit.newBuilder().setId(u.id()).setSeed(u.seed())
                                                .setDirection(u.direction()).setCommit(u.commit()).build();
                                        Identity runner = keys.stream()
                                                .filter(k -> k.publicId().toByteString().equals(u.holder())).findFirst()
                                                .orElseThrow();
                                        Result r = Fixtures.result(runner, w, 1.0, now);
                                        SignedEnvelope e = Envelopes.sign(runner, r);
                                        tx.insertResult(r, e, Envelopes.id(e), now);
                                        tx.updateUnit(u.doneBy(u.holder()));
                                    }
                                }
                            }
                            case 5 -> {
                                if (!open.isEmpty()) {
                                    tx.reserveUnit(open.get(pick % open.size()).id(), List.of(node), now + 3_000);
                                }
                            }
                            default -> {
                                if (!open.isEmpty()) {
                                    tx.updateUnit(open.get(pick % open.size()).doneBy(ByteString.EMPTY));
                                }
                            }
                        }
                        if (rollBack) {
                            throw new IllegalStateException("rolled back");
                        }
                        return null;
                    });
                } catch (IllegalStateException expected) {
                    // its writes are gone; the pages below must not show them
                }
                for (int i = 0; i < keys.size(); i++) {
                    ByteString n = keys.get(i).publicId().toByteString();
                    String net = networks.get(i);
                    // also where the oldest network leases' hold has passed and the newest' has not
                    for (long at : List.of(now, now + ReplicaNetworks.HOLD.toMillis() - 100_000)) {
                        for (int offset : List.of(0, 1, 3)) {
                            List<UnitRecord> kept = store.inTransaction(
                                    (Store.Transaction tx) -> tx.openEvaluationsFor(n, net, at, offset, 4));
                            List<UnitRecord> read = new SqliteTransaction(reader).openEvaluationsFor(n, net, at, offset, 4);
                            reader.rollback();
                            assertThat(kept).as("step %d, at %d, offset %d", step, at, offset).isEqualTo(read);
                            compared += kept.size();
                        }
                    }
                }
            }
            assertThat(compared).as("pages were not all empty").isGreaterThan(300);
        }
    }

    /** Starts a caller and returns once it waits in the queue (or in the committer). */
    private static Thread caller(SqliteStore store, Store.Work<Object> work) {
        Thread t = new Thread(() -> {
            try {
                store.inTransaction(work);
            } catch (Rejection expected) {
                // the caller that changed its mind
            }
        });
        t.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> t.getState() == Thread.State.WAITING
                || t.getState() == Thread.State.TERMINATED);
        return t;
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void migrationSeventeenStartsTheKeptTotalsFromTheRowsThere() throws Exception {
        try (Connection c = SqliteStore.connect(dataDir.resolve(SqliteStore.FILE_NAME))) {
            MigrationCarryOver.writeVersion16(c, Dialect.SQLITE);
        }
        MigrationCarryOver.checkTotalsStartFromTheRowsThere(store());
    }

    @Test
    void migrationThirtyOneTimesTheNetworksOfRowsThereByTheirReceipt() throws Exception {
        try (Connection c = SqliteStore.connect(dataDir.resolve(SqliteStore.FILE_NAME))) {
            MigrationCarryOver.writeVersion30(c, Dialect.SQLITE);
        }
        MigrationCarryOver.checkNetworksCountFromTheirReceipt(store());
    }

    @Test
    void migrationThirtyThreeKeepsTheReservationsThereHolding() throws Exception {
        try (Connection c = SqliteStore.connect(dataDir.resolve(SqliteStore.FILE_NAME))) {
            MigrationCarryOver.writeBeforeReservationDeadlines(c, Dialect.SQLITE);
        }
        Store store = store();
        MigrationCarryOver.checkReservationsStillHold(store, store);
    }

    @Test
    void migrationThirtyFourLeavesTheLeasesThereWithNoClass() throws Exception {
        try (Connection c = SqliteStore.connect(dataDir.resolve(SqliteStore.FILE_NAME))) {
            MigrationCarryOver.writeBeforeLeaseClasses(c, Dialect.SQLITE);
        }
        MigrationCarryOver.checkLeasesBeforeKeepNoClass(store());
    }

    @Test
    void migrationSixteenStartsTheKeptCountsFromTheRowsThere() throws Exception {
        try (Connection c = SqliteStore.connect(dataDir.resolve(SqliteStore.FILE_NAME))) {
            MigrationCarryOver.writeVersion15(c, Dialect.SQLITE);
        }
        MigrationCarryOver.checkCountsStartFromTheRowsThere(store());
    }

    @Test
    void anInsertOnTheStoresConnectionRunsNoSecondStatementForItsKey() throws Exception {
        // With JDBC's generated keys on, sqlite-jdbc compiles and runs "SELECT last_insert_rowid()"
        // after every INSERT (one statement more for each of a cycle's inserts on the committer);
        // the store reads a new row's key by RETURNING, so the connection must not ask for it.
        try (Connection c = SqliteStore.connect(dataDir.resolve(SqliteStore.FILE_NAME));
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE keyed (k INTEGER PRIMARY KEY, v TEXT)");
            s.executeUpdate("INSERT INTO keyed (v) VALUES ('a')");
            try (ResultSet keys = s.getGeneratedKeys()) {
                assertThat(keys.next()).as("the driver fetched the new row's key after the insert").isFalse();
            }
        }
    }

    @Test
    void migrationEightCarriesRowsOver() throws Exception {
        try (Connection c = SqliteStore.connect(dataDir.resolve(SqliteStore.FILE_NAME))) {
            MigrationCarryOver.writeVersion7(c, Dialect.SQLITE);
        }
        MigrationCarryOver.checkCarriedOver(store());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(SqliteStore.FILE_NAME));
                ResultSet sql = c.createStatement().executeQuery(
                        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'result_states' AND sql LIKE '%WITHOUT ROWID'")) {
            assertThat(sql.getInt(1)).isEqualTo(1);
        }
    }

    @Test
    void anOnlineBackupRestoresToTheSameState() throws Exception {
        Seed seed = Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01), 1);
        Path backup = dataDir.resolve("backup").resolve("copy.db");
        Files.createDirectories(backup.getParent());
        try (SqliteStore store = SqliteStore.open(dataDir)) {
            store.inTransaction(tx -> {
                tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
                return null;
            });
            store.backup(backup);
            Seed later = Fixtures.seed(operator, "later", Fixtures.commit(), Fixtures.manifest(1, 0.01), 2);
            store.inTransaction(tx -> {
                tx.insertSeed(later, Envelopes.sign(operator, later), 2);
                return null;
            });
        }
        Path restored = dataDir.resolve("restored");
        Files.createDirectories(restored);
        Files.copy(backup, restored.resolve(SqliteStore.FILE_NAME));
        try (SqliteStore store = SqliteStore.open(restored)) {
            assertThat(store.inTransaction((Store.Transaction tx) -> tx.seeds())).extracting(s -> s.record().getName())
                    .containsExactly("tiny-lm");
            assertThat(store.inTransaction((Store.Transaction tx) -> tx.seed("tiny-lm")).orElseThrow().record()).isEqualTo(seed);
        }
    }

    /**
     * A backup under a name an older backup holds replaces it only with a whole copy, and a
     * temporary file a killed backup left beside it goes first; a missing database is named.
     */
    @Test
    void aBackupReplacesAnOlderOneWholeAndClearsAKilledOnesTemporaryFile() throws Exception {
        Seed seed = Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01), 1);
        Path backup = dataDir.resolve("copy.db");
        Path tmp = SqliteBackup.temporary(backup);
        try (SqliteStore store = SqliteStore.open(dataDir)) {
            store.backup(backup);
            Files.write(tmp, new byte[] {1, 2, 3});  // as a backup killed mid-copy leaves it
            store.inTransaction(tx -> {
                tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
                return null;
            });
            store.backup(backup);
        }
        assertThat(tmp).doesNotExist();
        Path restored = Files.createDirectories(dataDir.resolve("restored"));
        Files.copy(backup, restored.resolve(SqliteStore.FILE_NAME));
        try (SqliteStore store = SqliteStore.open(restored)) {
            assertThat(store.inTransaction((Store.Transaction tx) -> tx.seeds())).extracting(s -> s.record().getName())
                    .containsExactly("tiny-lm");
        }
        assertThatThrownBy(() -> SqliteBackup.write(dataDir.resolve("none.db"), dataDir.resolve("b.db")))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("none.db");
        assertThat(dataDir.resolve("none.db")).as("no database made by a backup").doesNotExist();
    }
}
