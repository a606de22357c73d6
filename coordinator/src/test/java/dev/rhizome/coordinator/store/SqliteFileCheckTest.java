package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator's store opened on a copy of its database that is not whole (a backup killed
 * mid-copy, a copy cut short) is refused by name and left as it was; SQLite itself opened a zeroed
 * header as an empty database, and the coordinator created its tables over it.
 */
class SqliteFileCheckTest {
    @TempDir
    Path dir;

    @Test
    void aCopyCutShortIsRefusedByNameAndLeftAsItWas() throws Exception {
        Path whole = dir.resolve("whole.db");
        backup(whole);
        Path data = Files.createDirectories(dir.resolve("restored"));
        Path db = data.resolve(SqliteStore.FILE_NAME);
        try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
            byte[] all = Files.readAllBytes(whole);
            f.write(all, 0, all.length / 2);
        }
        long size = Files.size(db);
        assertThatThrownBy(() -> SqliteStore.open(data)).hasMessageContaining(db.toString())
                .hasMessageContaining("is cut short");
        assertThat(Files.size(db)).isEqualTo(size);
        assertThat(data.resolve(SqliteStore.FILE_NAME + "-wal")).doesNotExist();
    }

    /** What VACUUM INTO leaves when killed mid-copy: its pages, and a header page still zeros (written last). */
    @Test
    void aCopyWithoutItsHeaderIsRefusedByName() throws Exception {
        Path whole = dir.resolve("whole.db");
        backup(whole);
        Path data = Files.createDirectories(dir.resolve("restored"));
        Path db = data.resolve(SqliteStore.FILE_NAME);
        byte[] all = Files.readAllBytes(whole);
        java.util.Arrays.fill(all, 0, 4096, (byte) 0);
        Files.write(db, all);
        assertThatThrownBy(() -> SqliteStore.open(data)).isInstanceOf(SqliteFileCheck.NotWhole.class)
                .hasMessageContaining(db.toString()).hasMessageContaining("no SQLite header");
        // the refusal released the data directory: a whole copy put there opens
        Files.copy(whole, db, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        SqliteStore.open(data).close();
    }

    /** What a backup killed as its copy began leaves: an empty file, in which SQLite made a new, empty store. */
    @Test
    void anEmptyCopyIsRefusedByName() throws Exception {
        Path data = Files.createDirectories(dir.resolve("restored"));
        Path db = Files.createFile(data.resolve(SqliteStore.FILE_NAME));
        assertThatThrownBy(() -> SqliteStore.open(data)).isInstanceOf(SqliteFileCheck.NotWhole.class)
                .hasMessageContaining(db.toString()).hasMessageContaining("is empty");
        assertThat(Files.size(db)).isZero();
    }

    /** A whole backup, no file at all (a new store) and a live store killed with its log all open. */
    @Test
    void wholeDatabasesOpen() throws Exception {
        Path whole = dir.resolve("whole.db");
        backup(whole);
        SqliteFileCheck.requireWhole(whole);
        SqliteFileCheck.requireWhole(dir.resolve("none.db"));
        Path live = Files.createDirectories(dir.resolve("live"));
        try (SqliteStore store = SqliteStore.open(live)) {
            SqliteFileCheck.requireWhole(live.resolve(SqliteStore.FILE_NAME));
        }
        SqliteStore.open(live).close();
    }

    private void backup(Path target) throws Exception {
        Path source = Files.createDirectories(dir.resolve("source"));
        SqliteStore.open(source).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + source.resolve(SqliteStore.FILE_NAME));
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE filler (b BLOB)");
            s.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
                    + "INSERT INTO filler SELECT randomblob(4096) FROM n");
        }
        assertThat(SqliteBackup.write(source.resolve(SqliteStore.FILE_NAME), target)).isPositive();
    }
}
