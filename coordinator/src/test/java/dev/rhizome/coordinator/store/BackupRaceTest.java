package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.CrashPoints;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backups racing each other and a restore, each a real process held at a pause point
 * ({@link CrashPoints#pause}) until the test has done what it does in that moment: FILE only ever
 * holds a whole copy, a backup that loses a race says why and removes nothing of the winner's, and a
 * restore reading FILE while a backup to it finishes reads the backup before it, whole.
 */
class BackupRaceTest {
    @TempDir
    Path dir;

    /** The child: a backup of args[0] to args[1]; exit 1 saying why when it fails. */
    public static final class Child {
        public static void main(String[] args) {
            try {
                SqliteBackup.write(Path.of(args[0]), Path.of(args[1]));
                System.out.println("backed up");
            } catch (Exception e) {
                System.out.println("backup failed: " + e.getMessage());
                System.exit(1);
            }
        }
    }

    /** A child backup, its output read line by line. */
    private static final class Backup implements AutoCloseable {
        final Process process;
        final BufferedReader out;
        final List<String> said = new ArrayList<>();

        Backup(String point, Path database, Path target) throws Exception {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            List<String> command = new ArrayList<>(List.of(java.toString()));
            if (point != null) {
                command.add("-Drhizome.crash-point=" + point);
            }
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(),
                    database.toString(), target.toString()));
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        /** Reads until the child says it is paused at {@code point}. */
        void awaitPaused(String point) throws Exception {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                said.add(line);
                if (line.contains("paused at " + point)) {
                    return;
                }
            }
            throw new AssertionError("the backup ended before " + point + ": " + said);
        }

        /** Ends the pause, reads the rest and waits for the exit. */
        int finish() throws Exception {
            try (OutputStream in = process.getOutputStream()) {
                in.write('\n');
            }
            return exit();
        }

        int exit() throws Exception {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                said.add(line);
            }
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @Test
    void aBackupTakenOverInTheMomentItsLockIsDownFailsAndLeavesTheWinnersCopyAlone() throws Exception {
        Path database = database(200);
        Path file = dir.resolve("backups").resolve("coord.db");
        Files.createDirectories(file.getParent());
        try (Backup loser = new Backup(CrashPoints.BACKUP_UNLOCKED, database, file)) {
            loser.awaitPaused(CrashPoints.BACKUP_UNLOCKED);
            // the loser's whole copy lies unlocked: the winner, started now, removes it and holds its own copy
            try (Backup winner = new Backup(CrashPoints.BACKUP_RENAMING, database, file)) {
                winner.awaitPaused(CrashPoints.BACKUP_RENAMING);

                assertThat(loser.finish()).as("the loser: %s", loser.said).isEqualTo(1);
                assertThat(String.join("\n", loser.said)).contains("was taken over by another backup to the same file");
                assertThat(file).as("the loser renamed nothing").doesNotExist();
                assertThat(SqliteBackup.temporary(file)).as("the winner's copy, left by the loser").exists();

                assertThat(winner.finish()).as("the winner: %s", winner.said).isZero();
            }
        }
        assertOnly(file.getParent(), "coord.db");
        assertWhole(file, 200);
    }

    @Test
    void backupsToOneFileStartedAtOnceEndWithOneWholeCopyAndEachLoserNamesTheOtherBackup() throws Exception {
        Path database = database(200);
        Path file = dir.resolve("coord.db");
        // a killed backup's leftover, which every one of them may find and remove as it starts
        Files.write(SqliteBackup.temporary(file), new byte[0]);
        List<Backup> backups = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                backups.add(new Backup(null, database, file));
            }
            int backedUp = 0;
            for (Backup b : backups) {
                int code = b.exit();
                String said = String.join("\n", b.said);
                if (code == 0) {
                    backedUp++;
                } else {
                    assertThat(said).as("a backup that lost the race says why").containsAnyOf(
                            "is locked by a backup under way in another process",
                            "was taken over by another backup to the same file");
                }
            }
            assertThat(backedUp).isPositive();
        } finally {
            backups.forEach(Backup::close);
        }
        assertOnly(dir, "coord.db", "coordinator.db", "coordinator.db-wal", "coordinator.db-shm");
        assertWhole(file, 200);
    }

    @Test
    void aRestoreReadingFileWhileABackupToItFinishesReadsTheBackupBeforeItWhole() throws Exception {
        Path database = database(200);
        Path file = dir.resolve("coord.db");
        SqliteBackup.write(database, file);
        addRows(database, 100);
        try (Backup next = new Backup(CrashPoints.BACKUP_RENAMING, database, file)) {
            next.awaitPaused(CrashPoints.BACKUP_RENAMING);
            // the restore (FILE copied into a fresh data directory, as the docs say) reads FILE while the
            // backup to it is released and renames its copy over it
            Path restored = Files.createDirectories(dir.resolve("restored")).resolve(SqliteStore.FILE_NAME);
            try (InputStream in = Files.newInputStream(file); OutputStream out = Files.newOutputStream(restored)) {
                out.write(in.readNBytes(4096));
                assertThat(next.finish()).as("the backup: %s", next.said).isZero();
                in.transferTo(out);
            }
            assertWhole(restored, 200);
        }
        assertWhole(file, 300);
    }

    private Path database(int rows) throws Exception {
        Path database = dir.resolve(SqliteStore.FILE_NAME);
        try (Connection c = SqliteStore.connect(database); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            s.execute("CREATE TABLE filler (i INTEGER, b BLOB)");
        }
        addRows(database, rows);
        return database;
    }

    private static void addRows(Path database, int rows) throws Exception {
        try (Connection c = SqliteStore.connect(database); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            s.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + rows + ") "
                    + "INSERT INTO filler SELECT i, randomblob(4096) FROM n");
        }
    }

    private static int rows(Connection c) throws Exception {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM filler")) {
            r.next();
            return r.getInt(1);
        }
    }

    private static void assertWhole(Path copy, int rows) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + copy); Statement s = c.createStatement()) {
            try (ResultSet check = s.executeQuery("PRAGMA integrity_check")) {
                check.next();
                assertThat(check.getString(1)).as("%s whole", copy).isEqualTo("ok");
            }
            assertThat(rows(c)).as("the whole database in %s", copy).isEqualTo(rows);
        }
    }

    private static void assertOnly(Path dir, String... names) throws Exception {
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .as("no litter").isSubsetOf(names).contains(names[0]);
        }
    }
}
