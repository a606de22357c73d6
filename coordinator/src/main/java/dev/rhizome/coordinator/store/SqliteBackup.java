package dev.rhizome.coordinator.store;

import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
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
        try (BackupPartial partial = BackupLeftovers.claim(target, BackupLeftovers.Kind.SQLITE, leftovers)) {
            // SIGTERM (System.exit) mid-copy: the partial copy goes with the process; SIGKILL leaves it,
            // unlocked, for the next backup into this directory
            Thread atExit = new Thread(partial::discard, "backup-partial-cleanup");
            Runtime.getRuntime().addShutdownHook(atExit);
            try {
                CrashPoints.at(CrashPoints.BACKUP_STARTED);
                // VACUUM INTO writes into an empty file that exists
                try (Connection reader = SqliteStore.connect(database); Statement s = reader.createStatement()) {
                    reader.setAutoCommit(true);
                    s.execute("VACUUM INTO '" + partial.file().toString().replace("'", "''") + "'");
                } catch (SQLException e) {
                    throw new IOException("backup of " + database + " failed: " + e.getMessage(), e);
                }
                // SQLite closed its descriptor of the copy, and the kernel ended this process's lock with it
                CrashPoints.pause(CrashPoints.BACKUP_UNLOCKED);
                partial.relock();
                return partial.keepAs(target);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(atExit);
                } catch (IllegalStateException exiting) {
                    // the exit began: its hook runs
                }
            }
        }
    }
}
