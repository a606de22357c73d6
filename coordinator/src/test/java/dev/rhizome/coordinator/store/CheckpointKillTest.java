package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.protocol.CrashPoints;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator's store SIGKILLed inside its checkpointer's TRUNCATE checkpoint (a real child
 * process held at {@code checkpoint-waiting}: the checkpoint's locks held, the log not emptied, an
 * earlier passive checkpoint having copied part of it into the database file): the store opens
 * again whole and holds every write it acknowledged.
 */
class CheckpointKillTest {
    @TempDir
    Path dir;

    static ByteString key(int i) {
        byte[] k = new byte[32];
        k[0] = (byte) (i >> 8);
        k[1] = (byte) i;
        return ByteString.copyFrom(k);
    }

    /** Ends each ban's reason so that a few hundred of them fill many pages of log. */
    static final String FILLER = "x".repeat(3_000);

    /** The child: bans keys in args[0]'s store, a reader takes a snapshot, more bans; then it idles. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path data = Path.of(args[0]);
            SqliteStore store = SqliteStore.open(data);
            for (int i = 0; i < 300; i++) {
                ban(store, i);
            }
            // A reader on the log: a checkpoint cannot empty the log while it reads, so the idle
            // store's TRUNCATE checkpoint asks its busy handler, where the crash point holds it.
            Connection reader = SqliteStore.connect(data.resolve(SqliteStore.FILE_NAME));
            try (Statement s = reader.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM key_bans")) {
                r.next();
            }
            for (int i = 300; i < 400; i++) {
                ban(store, i);
            }
            System.out.println("written");
            Thread.sleep(Long.MAX_VALUE);
        }

        private static void ban(SqliteStore store, int i) {
            store.inTransaction(tx -> tx.banKey(key(i), i + FILLER, 1_000L + i));
            System.out.println("acknowledged " + i);  // only once its commit returned
        }
    }

    @Test
    void aKillInsideACheckpointLosesNothingAcknowledged() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-Drhizome.crash-point=" + CrashPoints.CHECKPOINT_WAITING,
                "-cp", System.getProperty("java.class.path"), Child.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        Set<Integer> acknowledged = new HashSet<>();
        List<String> log = new ArrayList<>();
        boolean held = false;
        try {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    log.add(line);
                    if (line.startsWith("acknowledged ")) {
                        acknowledged.add(Integer.parseInt(line.substring("acknowledged ".length())));
                    }
                    if (line.contains("at crash point " + CrashPoints.CHECKPOINT_WAITING)) {
                        held = true;
                        break;
                    }
                }
            }
            assertThat(held).as("held inside the checkpoint; its output: %s", log.subList(Math.max(0, log.size() - 20), log.size()))
                    .isTrue();
            assertThat(child.isAlive()).isTrue();
            assertThat(dir.resolve(SqliteStore.FILE_NAME + "-wal")).as("the log, not yet emptied").isNotEmptyFile();
        } finally {
            child.destroyForcibly();  // SIGKILL
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(acknowledged).as("every write acknowledged before the kill").hasSize(400);

        SqliteStore store = SqliteStore.open(dir);
        try {
            Map<ByteString, String> bans = store.inReadTransaction(Store.Transaction::bannedKeys);
            for (int i : acknowledged) {
                assertThat(bans.get(key(i))).as("ban %d", i).isEqualTo(i + FILLER);
            }
        } finally {
            store.close();
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteStore.FILE_NAME));
                Statement s = c.createStatement(); ResultSet check = s.executeQuery("PRAGMA integrity_check")) {
            check.next();
            assertThat(check.getString(1)).isEqualTo("ok");
        }
        assertThat(Files.exists(dir.resolve(SqliteStore.FILE_NAME + "-wal"))).as("closed: the log checkpointed and gone").isFalse();
    }
}
