package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The partial files killed backups to other names (dated backups) leave in a backup's directory: each
 * is named, and removed only where it is certainly a killed backup of the kind being made; a backup
 * under way (its file locked) and a file that does not look like one are left.
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
        Path unrelated = write("coord-2026-12-03.db", sqliteHead());
        Path underWay = dir.resolve("coord-2026-12-06.db.partial");

        List<BackupLeftovers.Found> found;
        // a backup under way in this process (another process's: BackupKillTest)
        try (BackupPartial held = BackupPartial.create(underWay)) {
            Files.write(underWay, sqliteHead());
            held.relock();  // the write's close ended the lock, as VACUUM INTO's does
            found = claim(target, BackupLeftovers.Kind.SQLITE);
            assertThat(underWay).as("a backup under way: left").exists();
        }

        assertThat(found).filteredOn(BackupLeftovers.Found::removed).extracting(BackupLeftovers.Found::file)
                .containsExactlyInAnyOrder(own, killed, killedJournal, cutAtOnce, pageOnePending);
        assertThat(found).filteredOn(f -> !f.removed()).extracting(BackupLeftovers.Found::file)
                .containsExactlyInAnyOrder(notABackup, aDump, underWay);
        assertThat(found).filteredOn(f -> f.file().equals(underWay)).singleElement()
                .extracting(BackupLeftovers.Found::why).asString().contains("under way");
        assertThat(found).filteredOn(f -> f.file().equals(notABackup)).singleElement()
                .extracting(BackupLeftovers.Found::why).asString().contains("does not begin as a SQLite backup");
        assertThat(List.of(own, killed, killedJournal, cutAtOnce, pageOnePending)).allSatisfy(p -> assertThat(p).doesNotExist());
        assertThat(List.of(notABackup, aDump, unrelated)).allSatisfy(p -> assertThat(p).exists());
        assertThat(SqliteBackup.temporary(target)).as("the claim's own file, not kept, goes with it").doesNotExist();
    }

    @Test
    void aPgDumpBackupRemovesPgDumpsPartialFilesOnly() throws Exception {
        Path aDump = write("r-2026-12-05.dump.partial", "PGDMP\u0001\u000e".getBytes(StandardCharsets.US_ASCII));
        Path aSqliteCopy = write("coord.db.partial", sqliteHead());

        List<BackupLeftovers.Found> found = claim(dir.resolve("r-2026-12-06.dump"), BackupLeftovers.Kind.POSTGRES);

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
        assertThat(claim(dir.resolve("coord-2.db"), BackupLeftovers.Kind.SQLITE)).isEmpty();
        assertThat(dir.resolve("coord-2.db.partial")).doesNotExist();
    }

    /**
     * A journal whose partial file is gone (a kill between the two deletions) is a leftover too: removed
     * when it begins as SQLite's journal does (or is empty or zeroed), named and left when it does not;
     * the partial file's name, made and locked while the journal goes, is not left behind.
     */
    @Test
    void aLoneJournalIsRemovedWhenItIsSqlitesAndNamedWhenNot() throws Exception {
        Path lone = write("coord-2026-12-01.db.partial-journal", new byte[] {(byte) 0xd9, (byte) 0xd5, 0x05,
            (byte) 0xf9, 0x20, (byte) 0xa1, 0x63, (byte) 0xd7, 0, 0, 0, 1});
        Path zeroed = write("coord-2026-11-30.db.partial-journal", new byte[512]);
        Path empty = write("coord-2026-11-29.db.partial-journal", new byte[0]);
        Path notAJournal = write("notes.partial-journal", "my diary".getBytes(StandardCharsets.UTF_8));

        List<BackupLeftovers.Found> found = claim(dir.resolve("coord-2026-12-02.db"), BackupLeftovers.Kind.SQLITE);

        assertThat(found).filteredOn(BackupLeftovers.Found::removed).extracting(BackupLeftovers.Found::file)
                .containsExactlyInAnyOrder(lone, zeroed, empty);
        assertThat(found).filteredOn(f -> !f.removed()).singleElement()
                .satisfies(f -> assertThat(f.file()).isEqualTo(notAJournal))
                .satisfies(f -> assertThat(f.why()).contains("does not begin as SQLite's journal does"));
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("notes.partial-journal");
        }
    }

    /** A backup to FILE while another backup to FILE is under way is refused, and the live one's file left. */
    @Test
    void aSecondBackupToTheSameFileIsRefusedWhileTheFirstHoldsItsPartialFile() throws Exception {
        Path target = dir.resolve("coord.db");
        try (BackupPartial first = BackupPartial.create(SqliteBackup.temporary(target))) {
            assertThatThrownBy(() -> claim(target, BackupLeftovers.Kind.SQLITE))
                    .isInstanceOf(BackupPartial.InUse.class)
                    .hasMessageContaining(SqliteBackup.temporary(target).toString());
            assertThat(first.file()).exists();
        }
    }

    private static List<BackupLeftovers.Found> claim(Path target, BackupLeftovers.Kind kind) throws Exception {
        List<BackupLeftovers.Found> found = new java.util.ArrayList<>();
        BackupLeftovers.claim(target, kind, found::add).close();
        return found;
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
