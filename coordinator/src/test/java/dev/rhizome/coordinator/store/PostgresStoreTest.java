package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.support.TestPostgres;
import java.sql.Connection;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The store contract on a real PostgreSQL (RHIZOME_TEST_PG), one schema per test. */
class PostgresStoreTest extends StoreContract {
    private TestPostgres postgres;

    @BeforeEach
    void database() {
        postgres = TestPostgres.create();
    }

    @AfterEach
    void dropDatabase() throws Exception {
        closeStores();
        if (postgres != null) { // null when PostgreSQL is not configured and the test was skipped
            postgres.close();
        }
    }

    @Override
    protected Store openStore() throws Exception {
        return PostgresStore.open(postgres.address(4));
    }

    /**
     * A write the statements' own counts cannot see (a {@code WITH} that inserts, run as a read)
     * still moves the write version: the store asks the server whether the transaction was given
     * an id before it commits. Without that question the version stays, and a page shared from
     * before the write is served after it.
     */
    @Test
    void aWriteTheCountsCannotSeeStillMovesTheWriteVersion() throws Exception {
        Store store = store();
        long before = store.writeVersion();
        Long inserted = store.inTransaction(tx -> ((SqliteTransaction) tx).queries().count(
                "WITH w AS (INSERT INTO claim_nonces (node, nonce, time_ms) VALUES (?, ?, ?) RETURNING 1) "
                        + "SELECT COUNT(*) FROM w", new byte[] {1}, new byte[] {2}, 3L));
        assertThat(inserted).isEqualTo(1L);
        assertThat(store.writeVersion()).as("after a transaction whose only write was a WITH").isGreaterThan(before);
        Long stored = store.inTransaction(tx -> ((SqliteTransaction) tx).queries().count("SELECT COUNT(*) FROM claim_nonces"));
        assertThat(stored).as("the write committed").isEqualTo(1L);
    }

    /**
     * Reads sent together ({@code Queries.together}) are one round trip by the store's count, give
     * each read its own rows in order, and run one after the other: each sees what the one before
     * it did, as a read after a lock sees what the lock's holder committed.
     */
    @Test
    void readsSentTogetherAreOneQueryAndRunInOrder() throws Exception {
        Store store = store();
        long[] counted = new long[1];
        List<List<?>> rows = store.<List<List<?>>>inTransaction(tx -> {
            long before = store.queriesRun();
            List<List<?>> read = ((SqliteTransaction) tx).queries().together(List.of(
                    new Queries.Read<>("WITH w AS (INSERT INTO claim_nonces (node, nonce, time_ms) VALUES (?, ?, ?), (?, ?, ?) "
                            + "RETURNING time_ms) SELECT MIN(time_ms) FROM w", rs -> rs.getLong(1),
                            new byte[] {1}, new byte[] {1}, 5L, new byte[] {1}, new byte[] {2}, 7L),
                    new Queries.Read<>("SELECT time_ms FROM claim_nonces ORDER BY time_ms", rs -> rs.getLong(1)),
                    new Queries.Read<>("SELECT time_ms FROM claim_nonces WHERE time_ms > ?", rs -> rs.getLong(1), 100L)));
            counted[0] = store.queriesRun() - before;
            return read;
        });
        assertThat(rows).containsExactly(List.of(5L), List.of(5L, 7L), List.of());
        assertThat(counted[0]).as("queries counted for the three reads sent together").isEqualTo(1);
    }

    /**
     * A write whose count nobody needs at once goes with the statement after it (one round trip by
     * the count), which sees it; one left waiting at the end of the transaction is sent before the
     * commit and is committed.
     */
    @Test
    void writesGoWithTheNextStatementWhichSeesThem() throws Exception {
        Store store = store();
        long[] counted = new long[1];
        List<Long> seen = store.<List<Long>>inTransaction(tx -> {
            Queries q = ((SqliteTransaction) tx).queries();
            long before = store.statementsRun();
            q.write("INSERT INTO claim_nonces (node, nonce, time_ms) VALUES (?, ?, ?)", new byte[] {1}, new byte[] {1}, 5L);
            q.write("INSERT INTO claim_nonces (node, nonce, time_ms) VALUES (?, ?, ?)", new byte[] {1}, new byte[] {2}, 7L);
            List<Long> read = q.list("SELECT time_ms FROM claim_nonces ORDER BY time_ms", rs -> rs.getLong(1));
            counted[0] = store.statementsRun() - before;
            q.write("INSERT INTO claim_nonces (node, nonce, time_ms) VALUES (?, ?, ?)", new byte[] {1}, new byte[] {3}, 9L);
            return read;
        });
        assertThat(seen).as("the read sent after two writes sees them").containsExactly(5L, 7L);
        assertThat(counted[0]).as("round trips counted for two writes and the read after them").isEqualTo(1);
        assertThat(store.<Long>inReadTransaction(tx -> ((SqliteTransaction) tx).queries().count(
                "SELECT COUNT(*) FROM claim_nonces"))).as("the write left waiting was sent before the commit").isEqualTo(3);
    }

    /**
     * A waiting write's check runs on its count once it has run, and a check that fails, or a write
     * the database refuses, fails the whole transaction: nothing of it is committed, the writes
     * before it included.
     */
    @Test
    void aWaitingWriteThatFailsItsCheckOrItsConstraintCommitsNothing() throws Exception {
        Store store = store();
        assertThatThrownBy(() -> store.inTransaction(tx -> {
            Queries q = ((SqliteTransaction) tx).queries();
            q.write("INSERT INTO claim_nonces (node, nonce, time_ms) VALUES (?, ?, ?)", new byte[] {1}, new byte[] {1}, 5L);
            q.writeChecked("UPDATE units SET attempts = 1 WHERE id = ?", changed -> {
                if (changed != 1) {
                    throw new StoreException("no work unit nowhere to update", null);
                }
            }, "nowhere");
            return null;
        })).hasMessageContaining("no work unit nowhere");
        assertThatThrownBy(() -> store.inTransaction(tx -> {
            Queries q = ((SqliteTransaction) tx).queries();
            q.write("INSERT INTO claim_nonces (node, nonce, time_ms) VALUES (?, ?, ?)", new byte[] {1}, new byte[] {1}, 5L);
            q.write("INSERT INTO claim_nonces (node, nonce, time_ms) VALUES (?, ?, ?)", new byte[] {1}, new byte[] {1}, 6L);
            return q.list("SELECT time_ms FROM claim_nonces", rs -> rs.getLong(1));
        })).isInstanceOf(StoreException.class).hasMessageContaining("claim_nonces");
        assertThat(store.<Long>inReadTransaction(tx -> ((SqliteTransaction) tx).queries().count(
                "SELECT COUNT(*) FROM claim_nonces"))).as("nothing of either transaction was committed").isZero();
    }

    @Test
    void migratesOnceWithPostgresTypes() throws Exception {
        store().close();
        store();
        try (Connection c = postgres.connect();
                ResultSet versions = c.createStatement().executeQuery("SELECT COUNT(*), MAX(version) FROM schema_version");
                ResultSet type = c.createStatement().executeQuery("SELECT data_type FROM information_schema.columns "
                        + "WHERE table_schema = current_schema() AND table_name = 'units' AND column_name = 'lease_deadline_ms'")) {
            versions.next();
            assertThat(versions.getInt(1)).as("each migration ran once").isEqualTo(SqliteSchema.latestVersion());
            assertThat(versions.getInt(2)).isEqualTo(SqliteSchema.latestVersion());
            type.next();
            assertThat(type.getString(1)).isEqualTo("bigint");
        }
    }

    /**
     * Transactions that store envelopes and units count them as they commit (migration 20), each
     * server process in a stripe of its own (migration 21): while one holds its counts uncommitted,
     * another counts without waiting, where one counter row held it until the first had committed.
     * The counts read afterwards are the rows there.
     */
    @Test
    void commitsThatCountEnvelopesAndUnitsDoNotWaitForEachOther() throws Exception {
        Store store = store();
        try (Connection first = postgres.connect(); Connection second = onAnotherStripe(first)) {
            for (Connection c : List.of(first, second)) {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    String id = UUID.randomUUID().toString();
                    s.execute("INSERT INTO envelopes (id, type, bytes, received_ms) VALUES ('" + id + "', 't', '\\x00', 1)");
                    s.execute("INSERT INTO units (id, kind, seed, direction, commit_id, parent, proposer, state, holder, "
                            + "lease_deadline_ms, attempts, expired_leases, created_ms) "
                            + "VALUES ('" + id + "', 1, 's', 'd', 'c', '', '\\x00', 0, '\\x00', 0, 0, 0, 1)");
                }
            }
            try (Statement s = first.createStatement()) {
                s.execute("SET CONSTRAINTS ALL IMMEDIATE");  // counts now: its counter rows are locked until it ends
            }
            try (Statement s = second.createStatement()) {
                s.execute("SET LOCAL lock_timeout = '5s'");
                s.execute("SET CONSTRAINTS ALL IMMEDIATE");
            }
            second.commit();
            first.commit();
        }
        assertThat(store.inReadTransaction(Store.Transaction::auditCount)).isEqualTo(2);
        assertThat(store.inReadTransaction(Store.Transaction::historyTotals).units()).isEqualTo(2);
    }

    /** A connection whose server process counts in another stripe than {@code first}'s. */
    private Connection onAnotherStripe(Connection first) throws Exception {
        long taken = stripe(first);
        for (int attempt = 0; attempt < 64; attempt++) {
            Connection c = postgres.connect();
            if (stripe(c) != taken) {
                return c;
            }
            c.close();
        }
        throw new AssertionError("64 connections in a row counted in stripe " + taken);
    }

    private static long stripe(Connection c) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_backend_pid() % 16")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Migration 11 is SQLite's alone: a shared store counts a key's leases through units_by_holder. */
    @Test
    void keepsUnitsByHolder() throws Exception {
        store();
        try (Connection c = postgres.connect();
                ResultSet index = c.createStatement().executeQuery("SELECT COUNT(*) FROM pg_indexes "
                        + "WHERE schemaname = current_schema() AND indexname = 'units_by_holder'")) {
            index.next();
            assertThat(index.getInt(1)).isEqualTo(1);
        }
    }

    @Test
    void migrationEightCarriesRowsOver() throws Exception {
        try (Connection c = postgres.connect()) {
            c.createStatement().execute("CREATE SCHEMA IF NOT EXISTS " + postgres.schema);
            MigrationCarryOver.writeVersion7(c, Dialect.POSTGRESQL);
        }
        MigrationCarryOver.checkCarriedOver(store());
    }

    @Test
    void migrationSeventeenStartsTheKeptTotalsFromTheRowsThere() throws Exception {
        try (Connection c = postgres.connect()) {
            c.createStatement().execute("CREATE SCHEMA IF NOT EXISTS " + postgres.schema);
            MigrationCarryOver.writeVersion16(c, Dialect.POSTGRESQL);
        }
        MigrationCarryOver.checkTotalsStartFromTheRowsThere(store());
    }

    @Test
    void migrationThirtyOneTimesTheNetworksOfRowsThereByTheirReceipt() throws Exception {
        try (Connection c = postgres.connect()) {
            c.createStatement().execute("CREATE SCHEMA IF NOT EXISTS " + postgres.schema);
            MigrationCarryOver.writeVersion30(c, Dialect.POSTGRESQL);
        }
        MigrationCarryOver.checkNetworksCountFromTheirReceipt(store());
    }

    /** On PostgreSQL every store's claims lock their page, and tell a reserved unit by its row's deadline. */
    @Test
    void migrationThirtyThreeKeepsTheReservationsThereHolding() throws Exception {
        try (Connection c = postgres.connect()) {
            c.createStatement().execute("CREATE SCHEMA IF NOT EXISTS " + postgres.schema);
            MigrationCarryOver.writeBeforeReservationDeadlines(c, Dialect.POSTGRESQL);
        }
        Store store = store();
        MigrationCarryOver.checkReservationsStillHold(store, store());
    }

    @Test
    void migrationThirtyFourLeavesTheLeasesThereWithNoClass() throws Exception {
        try (Connection c = postgres.connect()) {
            c.createStatement().execute("CREATE SCHEMA IF NOT EXISTS " + postgres.schema);
            MigrationCarryOver.writeBeforeLeaseClasses(c, Dialect.POSTGRESQL);
        }
        MigrationCarryOver.checkLeasesBeforeKeepNoClass(store());
    }

    @Test
    void migrationSixteenStartsTheKeptCountsFromTheRowsThere() throws Exception {
        try (Connection c = postgres.connect()) {
            c.createStatement().execute("CREATE SCHEMA IF NOT EXISTS " + postgres.schema);
            MigrationCarryOver.writeVersion15(c, Dialect.POSTGRESQL);
        }
        MigrationCarryOver.checkCountsStartFromTheRowsThere(store());
    }

    /**
     * A migration that cannot finish (here a session holds the migration's lock, as a coordinator
     * stuck mid-migration would) ends at migrate_timeout saying so, instead of holding the start;
     * the coordinator listens meanwhile (503) and migrates once the database lets it.
     */
    @Test
    void aMigrationThatCannotFinishEndsAtItsBoundSayingSoAndIsTriedAgain(@TempDir Path dir) throws Exception {
        String address = postgres.address() + "&migrate_timeout=1";
        try (Connection holder = postgres.connect(); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("SELECT pg_advisory_xact_lock(7700)");
            assertThatThrownBy(() -> PostgresStore.open(address))
                    .hasMessageContaining("the schema migration did not finish within migrate_timeout (1 s)")
                    .hasMessageContaining("lock")
                    .hasMessageContaining("nothing of it was applied")
                    .satisfies(e -> assertThat(StoreException.isUnavailable(e)).as("waited for, not refused").isTrue());
            try (Store awaited = Stores.open(address, dir, null)) {
                // the database answered: /healthz says what was cut and what to do, not "has not answered"
                assertThat(awaited.trouble()).hasValueSatisfying(t -> assertThat(t)
                        .startsWith("store not ready: the schema migration of ").contains("was cut at attempt")
                        .contains("tried again").contains("raise migrate_timeout=SECONDS")
                        .contains("nothing of it was applied").doesNotContain("has not answered"));
                assertThatThrownBy(() -> awaited.inTransaction(tx -> tx.knownNode(com.google.protobuf.ByteString.copyFromUtf8("k"))))
                        .as("a request meanwhile: 503, saying the migration has not finished")
                        .hasMessageContaining("schema migration has not finished")
                        .satisfies(e -> assertThat(StoreException.isUnavailable(e)).isTrue());
                holder.rollback();  // the lock goes
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                        .until(() -> awaited.inTransaction(tx -> tx.knownNode(com.google.protobuf.ByteString.copyFromUtf8("k"))) != null);
            }
        }
    }

    @Test
    void aBadAddressIsNamedAndItsPasswordIsNot() {
        assertThatThrownBy(() -> PostgresStore.open("postgresql://u:secret@127.0.0.1:1/nodb"))
                .hasMessageContaining("cannot open coordinator database postgresql://u:***@127.0.0.1:1/nodb")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> PostgresStore.open("postgresql://u:secret@127.0.0.1:1/nodb?schema=Bad-Name"))
                .hasMessageContaining("schema must be");
        assertThatThrownBy(() -> PostgresStore.open("postgresql://u:secret@127.0.0.1:1/nodb?schema=a&timout=5"))
                .hasMessageContaining("unknown parameter 'timout'")
                .hasMessageContaining("timeout, read_timeout, migrate_timeout")
                .hasMessageNotContaining("secret");
    }
}
