package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The measuring switch between the checkpointer thread and SQLite's auto-checkpoint on the
 * committer (performance.md, the fifteenth pass): either way every write is kept, and a value the
 * switch does not understand stops the store from opening, naming the property.
 */
class WalCheckpointsTest {
    @TempDir
    Path dir;

    private static Properties properties(String... pairs) {
        Properties p = new Properties();
        for (int i = 0; i < pairs.length; i += 2) {
            p.setProperty(pairs[i], pairs[i + 1]);
        }
        return p;
    }

    @Test
    void withoutPropertiesTheCheckpointerThreadRunsEvery200Milliseconds() {
        assertThat(WalCheckpoints.from(properties())).isEqualTo(new WalCheckpoints(false, 200));
        assertThat(WalCheckpoints.from(properties(WalCheckpoints.WHERE, "commit", WalCheckpoints.PERIOD, "1000")))
                .isEqualTo(new WalCheckpoints(true, 1000));
    }

    @Test
    void aValueNotUnderstoodIsRefusedNamingTheProperty() {
        assertThatThrownBy(() -> WalCheckpoints.from(properties(WalCheckpoints.WHERE, "auto")))
                .hasMessageContaining("rhizome.sqlite.checkpoint").hasMessageContaining("'auto'");
        assertThatThrownBy(() -> WalCheckpoints.from(properties(WalCheckpoints.PERIOD, "1s")))
                .hasMessageContaining("rhizome.sqlite.checkpoint-period-ms").hasMessageContaining("'1s'");
        assertThatThrownBy(() -> WalCheckpoints.from(properties(WalCheckpoints.PERIOD, "0")))
                .hasMessageContaining("rhizome.sqlite.checkpoint-period-ms");
    }

    @Test
    void onTheCommitterSqlitesOwnCheckpointRunsAndNoThreadDoes() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir, (n, nanos) -> { }, new WalCheckpoints(true, 200))) {
            writeRows(store);
            assertThat(store.committerAutoCheckpointPages()).isEqualTo(WalCheckpoints.AUTO_CHECKPOINT_PAGES);
            assertThat(store.checkpointer()).isNull();
        }
        assertEveryRowInTheFile();
    }

    @Test
    void withALongerPeriodTheIdleStoresLogIsStillEmptiedIntoTheFile() throws Exception {
        Path wal = dir.resolve(SqliteStore.FILE_NAME + "-wal");
        try (SqliteStore store = SqliteStore.open(dir, (n, nanos) -> { }, new WalCheckpoints(false, 1_000))) {
            writeRows(store);
            assertThat(store.committerAutoCheckpointPages()).isZero();
            await().atMost(Duration.ofSeconds(120)).until(() -> store.checkpointer().truncations() > 0
                    && (!Files.exists(wal) || Files.size(wal) == 0));
            assertEveryRowInTheFile();
        }
    }

    private void writeRows(SqliteStore store) {
        for (int i = 0; i < 1_500; i++) {
            int n = i;
            store.inTransaction(tx -> tx.banKey(CheckpointKillTest.key(n), n + CheckpointKillTest.FILLER, n));
        }
    }

    private void assertEveryRowInTheFile() throws Exception {
        try (Connection c = SqliteStore.connect(dir.resolve(SqliteStore.FILE_NAME));
                Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM key_bans")) {
            r.next();
            assertThat(r.getInt(1)).isEqualTo(1_500);
        }
    }
}
