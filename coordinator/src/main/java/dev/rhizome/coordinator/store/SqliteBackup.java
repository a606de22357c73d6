package dev.rhizome.coordinator.store;

import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A whole copy of a SQLite store's database, consistent as of one moment, written while a
 * coordinator may be serving from it (from this process or another): {@code VACUUM INTO} reads one
 * write-ahead-log snapshot, so the coordinator's writer is not blocked. The copy is written to a
 * temporary sibling of the target ({@code <target>.tmp}), forced to disk, renamed into place, and its
 * directory forced: a kill or a power loss mid-backup never leaves a partial file under the target's
 * name, only the temporary one, which the next backup to that target removes first. A backup already
 * under the target's name is replaced only once the new one is whole (cron's nightly copy to one name).
 *
 * <p>Restore: stop the coordinator, put the copy in a data directory as {@value SqliteStore#FILE_NAME}
 * (with no {@code -wal} or {@code -shm} file of an older database beside it), start it there.
 */
public final class SqliteBackup {
    private SqliteBackup() {
    }

    /** The temporary sibling a backup to {@code target} is written to before its rename. */
    public static Path temporary(Path target) {
        return target.resolveSibling(target.getFileName() + DurableFiles.TEMP_SUFFIX);
    }

    /**
     * Copies the database {@code database} to {@code target}.
     *
     * @return the copy's size in bytes
     * @throws NoSuchFileException when there is no database at {@code database}
     */
    public static long write(Path database, Path target) throws IOException {
        if (!Files.isRegularFile(database)) {
            throw new NoSuchFileException(database.toString(), null, "no coordinator database");
        }
        Path tmp = temporary(target);
        removeLeftovers(tmp);  // a backup killed before its rename
        try (Connection reader = SqliteStore.connect(database); Statement s = reader.createStatement()) {
            reader.setAutoCommit(true);
            s.execute("VACUUM INTO '" + tmp.toAbsolutePath().toString().replace("'", "''") + "'");
        } catch (SQLException e) {
            removeLeftovers(tmp);
            throw new IOException("backup of " + database + " failed: " + e.getMessage(), e);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);  // VACUUM INTO leaves its copy to the page cache
        }
        long size = Files.size(tmp);
        DurableFiles.move(tmp, target);
        return size;
    }

    private static void removeLeftovers(Path tmp) throws IOException {
        Files.deleteIfExists(tmp);
        Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + "-journal"));
    }
}
