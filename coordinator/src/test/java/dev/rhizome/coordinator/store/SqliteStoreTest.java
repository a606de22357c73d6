package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.envelope.Envelopes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

    /** Its reads are cached in memory, so a second owner of the file would serve stale state. */
    @Test
    void aSecondStoreOnTheSameFileIsRefusedUntilTheFirstCloses() throws Exception {
        Store first = store();
        assertThatThrownBy(() -> SqliteStore.open(dataDir))
                .isInstanceOf(java.io.IOException.class)
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
                } catch (java.util.concurrent.ExecutionException e) {
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
            assertThatThrownBy(() -> store.backup(backup)).hasMessageContaining("already exists");
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
}
