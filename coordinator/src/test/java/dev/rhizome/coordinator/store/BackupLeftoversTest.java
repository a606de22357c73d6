package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The partial files killed backups to other names (dated backups) leave in a backup's directory: each
 * is named, and removed only where it is certainly a killed backup of the kind being made; a backup
 * under way (its file held open) and a file that does not look like one are left.
 */
class BackupLeftoversTest {
    @TempDir
    Path dir;

    @Test
    void aKilledDatedBackupsPartialFileIsRemovedAndEverythingElseIsNamedAndLeft() throws Exception {
        Path target = dir.resolve("coord-2026-12-07.db");
        Path own = SqliteBackup.temporary(target);
        Files.write(own, sqliteHead());
        Path killed = write("coord-2026-12-05.db.partial", sqliteHead());
        Path killedJournal = write("coord-2026-12-05.db.partial-journal", new byte[] {(byte) 0xd9, (byte) 0xd5});
        Path cutAtOnce = write("coord-2026-12-04.db.partial", new byte[0]);
        Path pageOnePending = write("coord-2026-12-02.db.partial", new byte[4096]);
        Path notABackup = write("notes.txt.partial", "someone's download".getBytes(StandardCharsets.UTF_8));
        Path aDump = write("r.dump.partial", "PGDMP\u0001\u000e".getBytes(StandardCharsets.US_ASCII));
        Path underWay = write("coord-2026-12-06.db.partial", sqliteHead());
        Path unrelated = write("coord-2026-12-03.db", sqliteHead());

        List<BackupLeftovers.Found> found;
        try (FileChannel held = FileChannel.open(underWay, StandardOpenOption.WRITE)) {
            found = BackupLeftovers.clear(target, BackupLeftovers.Kind.SQLITE);
        }

        assertThat(found).filteredOn(BackupLeftovers.Found::removed).extracting(BackupLeftovers.Found::file)
                .containsExactlyInAnyOrder(own, killed, killedJournal, cutAtOnce, pageOnePending);
        assertThat(found).filteredOn(f -> !f.removed()).extracting(BackupLeftovers.Found::file)
                .containsExactlyInAnyOrder(notABackup, aDump, underWay);
        assertThat(found).filteredOn(f -> f.file().equals(underWay)).singleElement()
                .extracting(BackupLeftovers.Found::why).asString().contains("open");
        assertThat(found).filteredOn(f -> f.file().equals(notABackup)).singleElement()
                .extracting(BackupLeftovers.Found::why).asString().contains("does not begin as a SQLite backup");
        assertThat(List.of(own, killed, killedJournal, cutAtOnce, pageOnePending)).allSatisfy(p -> assertThat(p).doesNotExist());
        assertThat(List.of(notABackup, aDump, underWay, unrelated)).allSatisfy(p -> assertThat(p).exists());
    }

    @Test
    void aPgDumpBackupRemovesPgDumpsPartialFilesOnly() throws Exception {
        Path aDump = write("r-2026-12-05.dump.partial", "PGDMP\u0001\u000e".getBytes(StandardCharsets.US_ASCII));
        Path aSqliteCopy = write("coord.db.partial", sqliteHead());

        List<BackupLeftovers.Found> found = BackupLeftovers.clear(dir.resolve("r-2026-12-06.dump"),
                BackupLeftovers.Kind.POSTGRES);

        assertThat(found).filteredOn(BackupLeftovers.Found::removed).extracting(BackupLeftovers.Found::file)
                .containsExactly(aDump);
        assertThat(found).filteredOn(f -> !f.removed()).extracting(BackupLeftovers.Found::file)
                .containsExactly(aSqliteCopy);
        assertThat(aDump).doesNotExist();
        assertThat(aSqliteCopy).exists();
    }

    @Test
    void aDirectoryWithNoPartialFileFindsNothing() throws Exception {
        write("coord.db", sqliteHead());
        assertThat(BackupLeftovers.clear(dir.resolve("coord-2.db"), BackupLeftovers.Kind.SQLITE)).isEmpty();
    }

    private Path write(String name, byte[] content) throws Exception {
        return Files.write(dir.resolve(name), content);
    }

    private static byte[] sqliteHead() {
        byte[] page = new byte[512];
        byte[] head = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, page, 0, head.length);
        return page;
    }
}
