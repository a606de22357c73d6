package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup in another process (a real child, stopped at a crash point): while it lives, its partial
 * file is locked, so a backup into the same directory names it and leaves it, and a backup to the same
 * FILE is refused; once it is SIGKILLed, nothing is under its FILE, and the next backup into the
 * directory removes its partial file (empty at {@code backup-started}, a whole copy at {@code
 * backup-copied}) and writes a whole copy of its own. Processes are not looked at: the lock decides.
 */
class BackupKillTest {
    @TempDir
    Path dir;

    /** The child: a backup of args[0] to args[1]. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            SqliteBackup.write(Path.of(args[0]), Path.of(args[1]));
            System.out.println("backed up");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {CrashPoints.BACKUP_STARTED, CrashPoints.BACKUP_COPIED})
    void aLiveBackupsPartialFileIsLeftAndAKilledOnesIsRemoved(String point) throws Exception {
        Path database = dir.resolve("coordinator.db");
        try (Connection c = SqliteStore.connect(database); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            s.execute("CREATE TABLE filler (i INTEGER, b BLOB)");
            s.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
                    + "INSERT INTO filler SELECT i, randomblob(4096) FROM n");
        }
        Path backups = Files.createDirectories(dir.resolve("backups"));
        Path monday = backups.resolve("coord-2026-12-07.db");
        Path mondayPartial = SqliteBackup.temporary(monday);

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-Drhizome.crash-point=" + point, "-cp",
                System.getProperty("java.class.path"), Child.class.getName(), database.toString(), monday.toString())
                .redirectErrorStream(true).start();
        List<String> log = new ArrayList<>();
        try {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    log.add(line);
                    if (line.contains("at crash point " + point)) {
                        break;
                    }
                }
            }
            assertThat(child.isAlive()).as("stopped at %s; its output: %s", point, log).isTrue();
            assertThat(mondayPartial).exists();

            // alive: a backup to another name leaves its file, naming it; one to its name is refused
            List<BackupLeftovers.Found> whileAlive = new ArrayList<>();
            SqliteBackup.write(database, backups.resolve("coord-2026-12-06.db"), whileAlive::add);
            assertThat(whileAlive).singleElement()
                    .satisfies(f -> assertThat(f.file()).isEqualTo(mondayPartial))
                    .satisfies(f -> assertThat(f.removed()).isFalse())
                    .satisfies(f -> assertThat(f.why()).contains("a backup under way holds its lock"));
            assertThatThrownBy(() -> SqliteBackup.write(database, monday))
                    .isInstanceOf(BackupPartial.InUse.class);
            assertThat(mondayPartial).as("the live backup's file, left whole").exists();
        } finally {
            child.destroyForcibly();  // SIGKILL
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(monday).as("killed before its rename: nothing under its name").doesNotExist();
        assertThat(mondayPartial).exists();
        List<BackupLeftovers.Found> afterKill = new ArrayList<>();
        Path tuesday = backups.resolve("coord-2026-12-08.db");
        SqliteBackup.write(database, tuesday, afterKill::add);
        assertThat(afterKill).filteredOn(BackupLeftovers.Found::removed).extracting(BackupLeftovers.Found::file)
                .contains(mondayPartial);
        assertThat(afterKill).filteredOn(f -> !f.removed()).isEmpty();
        try (Stream<Path> left = Files.list(backups)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no litter")
                    .containsExactlyInAnyOrder("coord-2026-12-06.db", "coord-2026-12-08.db");
        }
        for (Path copy : List.of(backups.resolve("coord-2026-12-06.db"), tuesday)) {
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + copy); Statement s = c.createStatement()) {
                try (ResultSet check = s.executeQuery("PRAGMA integrity_check")) {
                    check.next();
                    assertThat(check.getString(1)).isEqualTo("ok");
                }
                try (ResultSet rows = s.executeQuery("SELECT count(*) FROM filler")) {
                    rows.next();
                    assertThat(rows.getInt(1)).as("the whole database in %s", copy).isEqualTo(200);
                }
            }
        }
    }
}
