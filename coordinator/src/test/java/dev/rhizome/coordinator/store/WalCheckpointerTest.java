package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's log is checkpointed off the committer: the committer's connection never
 * checkpoints (SQLite's auto-checkpoint off), the checkpointer copies the log while the store
 * writes and empties it once the store is idle, so the log does not grow without bound.
 */
class WalCheckpointerTest {
    @TempDir
    Path dir;

    @Test
    void theCommitterNeverCheckpointsAndTheIdleStoresLogIsEmptied() throws Exception {
        Path wal = dir.resolve(SqliteStore.FILE_NAME + "-wal");
        try (SqliteStore store = SqliteStore.open(dir)) {
            // Far past SQLite's own 1,000-page auto-checkpoint: on main the committer copied the log here.
            for (int i = 0; i < 1_500; i++) {
                int n = i;
                store.inTransaction(tx -> tx.banKey(CheckpointKillTest.key(n), n + CheckpointKillTest.FILLER, n));
            }
            assertThat(store.committerAutoCheckpointPages()).as("wal_autocheckpoint on the committer's connection").isZero();
            await().atMost(Duration.ofSeconds(120)).until(() -> store.checkpointer().truncations() > 0
                    && (!Files.exists(wal) || Files.size(wal) == 0));
            // a fresh connection reading the database file alone (the log empty) finds every write
            try (Connection c = SqliteStore.connect(dir.resolve(SqliteStore.FILE_NAME));
                    Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM key_bans")) {
                r.next();
                assertThat(r.getInt(1)).isEqualTo(1_500);
            }
        }
    }
}
