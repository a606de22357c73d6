package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.proto.v1.ResultVerdict;
import java.sql.Connection;
import java.sql.PreparedStatement;
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
            assertThat(tx.reputations()).extracting(java.util.Map.Entry::getKey).containsExactly(RUNNER);
            assertThat(tx.reputation(RUNNER)).contains(expected.onValid(100));
            return null;
        });
    }
}
