package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.proto.v1.ResultVerdict;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Rows written under schema version 7 are still there, and still read and written through the
 * store, after migration 8 rebuilt their tables (result states, units' random seeds, reputations).
 * Shared by the SQLite and PostgreSQL store tests.
 */
final class MigrationCarryOver {
    private static final ByteString RUNNER = ByteString.copyFromUtf8("runner-from-v7");

    private MigrationCarryOver() {
    }

    /** Brings an empty database to version 7 and writes a row in each rebuilt table. */
    static void writeVersion7(Connection c, Dialect dialect) throws Exception {
        c.setAutoCommit(false);
        assertThat(SqliteSchema.migrate(c, dialect, 7)).isEqualTo(7);
        try (PreparedStatement states = c.prepareStatement("INSERT INTO result_states (envelope_id, state) VALUES (?, ?)");
                PreparedStatement seeds = c.prepareStatement("INSERT INTO unit_seeds (unit_id, random_seed) VALUES (?, ?)");
                PreparedStatement reputations = c.prepareStatement("INSERT INTO reputations (runner, valid_results, "
                        + "invalid_results, error_results, consecutive_valid, credit_ms, daily_quota) "
                        + "VALUES (?, 5, 1, 2, 3, 4000, 250)")) {
            states.setString(1, "e1");
            states.setInt(2, ResultVerdict.State.VALID_VALUE);
            states.executeUpdate();
            seeds.setString(1, "u1");
            seeds.setLong(2, -42L);
            seeds.executeUpdate();
            reputations.setBytes(1, RUNNER.toByteArray());
            reputations.executeUpdate();
        }
        c.commit();
    }

    /**
     * Brings an empty database to version 15 (the last before the kept counts) and writes
     * envelopes, nodes and units with expired leases straight into their tables.
     */
    static void writeVersion15(Connection c, Dialect dialect) throws Exception {
        c.setAutoCommit(false);
        assertThat(SqliteSchema.migrate(c, dialect, 15)).isEqualTo(15);
        try (PreparedStatement envelopes = c.prepareStatement(
                        "INSERT INTO envelopes (id, type, bytes, received_ms) VALUES (?, 'seed', ?, 1)");
                PreparedStatement nodes = c.prepareStatement("INSERT INTO nodes (node, host, port, hardware_class, "
                        + "last_seen_ms) VALUES (?, 'h', 7000, 'cpu', 1)");
                PreparedStatement units = c.prepareStatement("INSERT INTO units (id, kind, seed, direction, commit_id, "
                        + "parent, proposer, state, holder, lease_deadline_ms, attempts, expired_leases, created_ms) "
                        + "VALUES (?, 1, 's', 'd', 'c', '', ?, 1, ?, 0, 0, ?, 1)")) {
            for (int i = 0; i < 3; i++) {
                envelopes.setString(1, "e" + i);
                envelopes.setBytes(2, new byte[] {(byte) i});
                envelopes.executeUpdate();
            }
            for (int i = 0; i < 2; i++) {
                nodes.setBytes(1, new byte[] {(byte) i});
                nodes.executeUpdate();
            }
            for (int i = 0; i < 4; i++) {
                units.setString(1, "u" + i);
                units.setBytes(2, new byte[0]);
                units.setBytes(3, new byte[0]);
                units.setInt(4, i);
                units.executeUpdate();
            }
        }
        c.commit();
    }

    /** The counts of what {@link #writeVersion15} wrote, kept from the migration on. */
    static void checkCountsStartFromTheRowsThere(Store store) {
        store.inReadTransaction(tx -> {
            assertThat(tx.auditCount()).isEqualTo(3);
            assertThat(tx.standing()).isEqualTo(new HistoryCounts.Standing(2, 0 + 1 + 2 + 3));
            return null;
        });
    }

    /** What {@link #writeVersion7} wrote, read and rewritten through a store opened at the newest version. */
    static void checkCarriedOver(Store store) {
        Reputation expected = new Reputation(5, 1, 2, 3, 4000, 250);
        store.inTransaction(tx -> {
            assertThat(tx.resultState("e1")).contains(ResultVerdict.State.VALID);
            assertThat(tx.unitRandomSeed("u1")).isEqualTo(OptionalLong.of(-42L));
            assertThat(tx.reputation(RUNNER)).isEqualTo(Optional.of(expected));
            tx.setResultState("e1", ResultVerdict.State.INVALID);
            tx.saveReputation(RUNNER, expected.onValid(100));
            return null;
        });
        store.inTransaction(tx -> {
            assertThat(tx.resultState("e1")).contains(ResultVerdict.State.INVALID);
            assertThat(tx.reputations()).extracting(Map.Entry::getKey).containsExactly(RUNNER);
            assertThat(tx.reputation(RUNNER)).contains(expected.onValid(100));
            return null;
        });
    }
}
