package dev.rhizome.ops.storm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.store.SqliteStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checks the kill test runs on a stopped coordinator's store, on a real store's schema: each
 * names the unit a double lease, an orphaned result or an expired lease concerns, and a store that
 * holds none of them has no problem.
 */
class StoreConsistencyTest {
    @TempDir
    Path dir;

    Path file;

    @BeforeEach
    void aStoreWithOneUnitLeasedAndReported() throws Exception {
        SqliteStore.open(dir).close();  // the coordinator's own schema, every migration run
        file = dir.resolve(SqliteStore.FILE_NAME);
        sql("INSERT INTO units (id, kind, seed, direction, commit_id, parent, proposer, state, holder, lease_deadline_ms,"
                + " attempts, expired_leases, created_ms) VALUES ('u1', 1, 's', 'd', 'c1', 'p', x'01', 3, x'0a', 0, 1, 0, 1)");
        // the same key's claim sent again after a cut answer: the same lease, not a second holder
        sql("INSERT INTO unit_leases (unit_id, holder, leased_ms) VALUES ('u1', x'0a', 10)");
        sql("INSERT INTO unit_leases (unit_id, holder, leased_ms) VALUES ('u1', x'0a', 11)");
        sql("INSERT INTO envelopes (id, type, bytes, received_ms) VALUES ('e1', 'result', x'00', 12)");
        sql("INSERT INTO results (envelope_seq, unit_id, direction, commit_id, runner)"
                + " SELECT seq, 'u1', 'd', 'c1', x'0a' FROM envelopes WHERE id = 'e1'");
    }

    @Test
    void aWholeStoreHasNoProblem() {
        assertThat(StoreConsistency.ofSqlite(file)).isEmpty();
    }

    @Test
    void aUnitLeasedToASecondKeyIsNamed() throws Exception {
        sql("INSERT INTO unit_leases (unit_id, holder, leased_ms) VALUES ('u1', x'0b', 13)");
        assertThat(StoreConsistency.ofSqlite(file)).containsExactly("a unit leased to two keys: u1");
    }

    @Test
    void aSecondLeaseAfterAnExpiredOneIsNamedAsTheExpiryNotAsADoubleLease() throws Exception {
        sql("INSERT INTO unit_leases (unit_id, holder, leased_ms) VALUES ('u1', x'0b', 13)");
        sql("UPDATE units SET expired_leases = 1 WHERE id = 'u1'");
        assertThat(StoreConsistency.ofSqlite(file)).singleElement().asString().startsWith("a lease expired").endsWith("u1");
    }

    @Test
    void aResultWithoutItsUnitAndASecondResultOfAUnitAreNamed() throws Exception {
        sql("INSERT INTO envelopes (id, type, bytes, received_ms) VALUES ('e2', 'result', x'00', 14)");
        sql("INSERT INTO results (envelope_seq, unit_id, direction, commit_id, runner)"
                + " SELECT seq, 'gone', 'd', 'c1', x'0a' FROM envelopes WHERE id = 'e2'");
        sql("INSERT INTO envelopes (id, type, bytes, received_ms) VALUES ('e3', 'result', x'00', 15)");
        sql("INSERT INTO results (envelope_seq, unit_id, direction, commit_id, runner)"
                + " SELECT seq, 'u1', 'd', 'c1', x'0b' FROM envelopes WHERE id = 'e3'");
        assertThat(StoreConsistency.ofSqlite(file)).containsExactlyInAnyOrder("a result without its unit: gone",
                "a unit with two results: u1");
    }

    @Test
    void aFileThatIsNoDatabaseIsNamedNotPassed() throws Exception {
        java.nio.file.Files.writeString(file, "not a database, a torn copy");
        assertThat(StoreConsistency.ofSqlite(file)).singleElement().asString().contains(file.toString());
    }

    private void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
