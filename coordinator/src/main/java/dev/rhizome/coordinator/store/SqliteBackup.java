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
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A whole copy of a SQLite store's database, consistent as of one moment, written while a
 * coordinator may be serving from it (from this process or another): {@code VACUUM INTO} reads one
 * write-ahead-log snapshot, so the coordinator's writer is not blocked. The copy is written to a
 * sibling of the target named for what it is until whole ({@code <target>.partial}), forced to disk,
 * renamed into place, and its directory forced: a kill or a power loss mid-backup never leaves a
 * partial file under the target's name, only the partial one, which the next backup to that target
 * removes first and names ({@code FILE.tmp}, the name before, too). It is never taken for a backup by
 * its content either: a coordinator refuses to start on it ({@link SqliteFileCheck}). A stop by
 * SIGTERM deletes it. A backup already under the target's name is replaced only once the new one is
 * whole (cron's nightly copy to one name).
 *
 * <p>Restore: stop the coordinator, put the copy in a data directory as {@value SqliteStore#FILE_NAME}
 * (with no {@code -wal} or {@code -shm} file of an older database beside it), start it there.
 */
public final class SqliteBackup {
    private SqliteBackup() {
    }

    /** What the file a backup writes before its rename is named after its target: it is not a backup. */
    public static final String PARTIAL_SUFFIX = ".partial";

    /** The sibling a backup to {@code target} is written to before its rename. */
    public static Path temporary(Path target) {
        return target.resolveSibling(target.getFileName() + PARTIAL_SUFFIX);
    }

    /**
     * Deletes what a killed backup to {@code target} left beside it (its partial copy, SQLite's
     * journal of it, and the {@code FILE.tmp} of the name used before round 30).
     *
     * @return the files deleted, for the command to name
     */
    public static List<Path> removeLeftovers(Path target) throws IOException {
        List<Path> removed = new ArrayList<>();
        Path partial = temporary(target);
        Path old = target.resolveSibling(target.getFileName() + DurableFiles.TEMP_SUFFIX);
        for (Path p : List.of(partial, old)) {
            for (Path f : List.of(p, p.resolveSibling(p.getFileName() + "-journal"))) {
                if (Files.deleteIfExists(f)) {
                    removed.add(f);
                }
            }
        }
        return removed;
    }

    /**
     * Copies the database {@code database} to {@code target}.
     *
     * @return the copy's size in bytes
     * @throws NoSuchFileException when there is no database at {@code database}
     */
    public static long write(Path database, Path target) throws IOException {
        return write(database, target, removed -> { });
    }

    /**
     * As {@link #write(Path, Path)}, telling {@code leftovers} each file killed backups left in the
     * target's directory before this one starts: the target's own partial file, deleted, and those of
     * backups to other names, deleted or left by {@link BackupLeftovers}'s rule.
     */
    public static long write(Path database, Path target, Consumer<BackupLeftovers.Found> leftovers) throws IOException {
        if (!Files.isRegularFile(database)) {
            throw new NoSuchFileException(database.toString(), null, "no coordinator database");
        }
        Path tmp = temporary(target);
        BackupLeftovers.clear(target, BackupLeftovers.Kind.SQLITE).forEach(leftovers);
        // SIGTERM (System.exit) mid-copy: the partial copy goes with the process; SIGKILL leaves it for the next backup
        Thread atExit = new Thread(() -> {
            try {
                removeLeftovers(target);
            } catch (IOException e) {
                // the exit goes on; the next backup to the target deletes it first
            }
        }, "backup-partial-cleanup");
        Runtime.getRuntime().addShutdownHook(atExit);
        // held open from its creation to its rename: another backup into this directory sees it in use
        // (BackupLeftovers) and leaves it; VACUUM INTO writes into an empty file that exists
        try (FileChannel held = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            try (Connection reader = SqliteStore.connect(database); Statement s = reader.createStatement()) {
                reader.setAutoCommit(true);
                s.execute("VACUUM INTO '" + tmp.toAbsolutePath().toString().replace("'", "''") + "'");
            } catch (SQLException e) {
                removeLeftovers(target);
                throw new IOException("backup of " + database + " failed: " + e.getMessage(), e);
            }
            held.force(true);  // VACUUM INTO leaves its copy to the page cache
            long size = Files.size(tmp);
            DurableFiles.move(tmp, target);
            return size;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(atExit);
            } catch (IllegalStateException exiting) {
                // the exit began: its hook runs
            }
        }
    }
}
