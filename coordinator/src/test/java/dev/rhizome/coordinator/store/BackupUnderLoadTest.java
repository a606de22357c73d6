package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backups of a SQLite store that another process writes to without pause (a coordinator under
 * load; the backup is `rhizome coordinator backup`, a process of its own): each one, put in a data
 * directory as a restore does, passes SQLite's integrity check, opens as a store, holds every write
 * acknowledged before the backup began, and holds each transaction whole or not at all: every
 * transaction writes two rows, and a copy taken while a writer was between its two steps would hold
 * one of them. {@code VACUUM INTO} reads one snapshot of the write-ahead log, so no writer can be
 * caught between steps; this is the check of that promise (round 35).
 */
class BackupUnderLoadTest {
    @TempDir
    Path dir;

    static ByteString key(int i) {
        byte[] k = new byte[32];
        k[0] = (byte) (i >> 16);
        k[1] = (byte) (i >> 8);
        k[2] = (byte) i;
        return ByteString.copyFrom(k);
    }

    /** Fills the log quickly, so checkpoints run (passive and truncating) while backups read. */
    static final String FILLER = "y".repeat(2_000);

    /**
     * The child: in args[0]'s store, transaction n bans keys 2n and 2n+1 (its two steps) and prints
     * "acknowledged n" once its commit returned, until killed.
     */
    public static final class Writer {
        public static void main(String[] args) throws Exception {
            SqliteStore store = SqliteStore.open(Path.of(args[0]));
            for (int n = 0; ; n++) {
                int pair = n;
                store.inTransaction(tx -> {
                    tx.banKey(key(2 * pair), pair + FILLER, 1_000L + pair);
                    tx.banKey(key(2 * pair + 1), pair + FILLER, 1_000L + pair);
                    return null;
                });
                System.out.println("acknowledged " + n);
                System.out.flush();
            }
        }
    }

    @Test
    void backupsTakenUnderAWriteLoadRestoreWholeWithEveryAcknowledgedWrite() throws Exception {
        Path data = dir.resolve("coordinator");
        Files.createDirectories(data);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process writer = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Writer.class.getName(), data.toString()).redirectErrorStream(true).start();
        Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
        List<String> said = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith("acknowledged ")) {
                        acknowledged.add(Integer.parseInt(line.substring("acknowledged ".length())));
                    } else {
                        synchronized (said) {
                            said.add(line);
                        }
                    }
                }
            } catch (java.io.IOException e) {
                // the writer's end, closed by its kill
            }
        }, "writer-output");
        reader.start();
        try {
            int backups = 4;
            for (int b = 0; b < backups; b++) {
                int wanted = (b + 1) * 150;
                awaitAcknowledged(acknowledged, wanted, writer, said);
                Set<Integer> before = Set.copyOf(acknowledged);
                Path target = dir.resolve("backup-" + b + ".db");

                SqliteBackup.write(data.resolve(SqliteStore.FILE_NAME), target);

                assertThat(writer.isAlive()).as("the writer wrote on through the backup; it said %s", said).isTrue();
                checkRestored(target, before, b);
            }
        } finally {
            writer.destroyForcibly();
            assertThat(writer.waitFor(60, TimeUnit.SECONDS)).isTrue();
            reader.join();
        }
    }

    /** Puts {@code backup} in a data directory of its own as a restore does, and checks what it holds. */
    private void checkRestored(Path backup, Set<Integer> acknowledgedBefore, int b) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + backup);
                Statement s = c.createStatement(); ResultSet check = s.executeQuery("PRAGMA integrity_check")) {
            check.next();
            assertThat(check.getString(1)).as("backup %d's integrity check", b).isEqualTo("ok");
        }
        Path restored = dir.resolve("restored-" + b);
        Files.createDirectories(restored);
        Files.copy(backup, restored.resolve(SqliteStore.FILE_NAME));
        SqliteStore store = SqliteStore.open(restored);
        try {
            Map<ByteString, String> bans = store.inReadTransaction(Store.Transaction::bannedKeys);
            for (int n : acknowledgedBefore) {
                assertThat(bans.get(key(2 * n))).as("backup %d: transaction %d, acknowledged before it began", b, n)
                        .isEqualTo(n + FILLER);
            }
            int pairs = 0;
            for (int n = 0; bans.containsKey(key(2 * n)) || bans.containsKey(key(2 * n + 1)); n++) {
                assertThat(bans.containsKey(key(2 * n + 1))).as("backup %d: transaction %d's second step", b, n)
                        .isEqualTo(bans.containsKey(key(2 * n)));
                pairs++;
            }
            assertThat(bans).as("backup %d: nothing but whole transactions, in order", b).hasSize(2 * pairs);
            assertThat(pairs).isGreaterThanOrEqualTo(acknowledgedBefore.size());
        } finally {
            store.close();
        }
    }

    private static void awaitAcknowledged(Set<Integer> acknowledged, int count, Process writer, List<String> said) {
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(20))
                .until(() -> acknowledged.size() >= count || !writer.isAlive());
        synchronized (said) {
            assertThat(writer.isAlive()).as("the writer died; it said %s", said).isTrue();
        }
    }
}
