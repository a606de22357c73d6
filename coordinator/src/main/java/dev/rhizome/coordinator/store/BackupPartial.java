package dev.rhizome.coordinator.store;

import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A backup's partial file ({@code FILE.partial}), made by this process and locked by it from its
 * creation to its rename: an exclusive lock on the whole file (fcntl's, which every process on the
 * machine sees, whoever owns it), so another backup into the directory tells a backup under way from a
 * killed one's leftover by taking the lock, not by looking for processes ({@link BackupLeftovers}).
 * The kernel drops such a lock with its process, so a SIGKILL leaves the file unlocked, and with
 * every descriptor of the file this process closes: SQLite's {@code VACUUM INTO} closes its own at
 * its end, which is why {@link #relock} follows it, and why {@link BackupLeftovers} never opens a
 * file this process holds ({@link #heldHere}).
 */
final class BackupPartial implements AutoCloseable {
    /** The partial files this process holds: a test of their lock from here would end it. */
    private static final Set<Path> HELD_HERE = ConcurrentHashMap.newKeySet();
    /** How many times a creation is tried again when another backup's leftover rule took the new file. */
    private static final int CREATE_TRIES = 5;

    /** Another live backup holds this partial file's lock: a backup to the same FILE is under way. */
    static final class InUse extends IOException {
        InUse(Path partial) {
            super(partial + " is locked by a backup under way in another process");
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final Object key;
    private FileLock lock;
    private volatile boolean kept;

    private BackupPartial(Path file, FileChannel channel, Object key, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.key = key;
        this.lock = lock;
    }

    Path file() {
        return file;
    }

    /** Whether this process holds {@code file} as a backup's partial file. */
    static boolean heldHere(Path file) {
        return HELD_HERE.contains(file.toAbsolutePath().normalize());
    }

    /**
     * Creates {@code partial} (it must not exist) and locks it.
     *
     * @throws FileAlreadyExistsException when there is a file of that name
     */
    static BackupPartial create(Path partial) throws IOException {
        Path file = partial.toAbsolutePath().normalize();
        for (int tries = 1; ; tries++) {
            HELD_HERE.add(file);
            FileChannel channel = null;
            try {
                channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                Object key = keyOf(file);
                // blocking: another backup's test of a new file holds it for as long as one read
                FileLock lock = channel.lock();
                // that test may have found the file empty and unlocked, and removed it: made again
                if (key != null && key.equals(keyOf(file))) {
                    return new BackupPartial(file, channel, key, lock);
                }
                channel.close();
                if (tries == CREATE_TRIES) {
                    throw new IOException(file + " was removed as it was made, " + CREATE_TRIES + " times");
                }
            } catch (IOException | RuntimeException e) {
                HELD_HERE.remove(file);
                if (channel != null) {
                    channel.close();
                }
                throw e;
            }
        }
    }

    /**
     * Locks the file again after a writer in this process (SQLite) closed a descriptor of it, which
     * released the lock; checks the file at the name is still this one.
     */
    void relock() throws IOException {
        try {
            lock.release();
        } catch (IOException | RuntimeException released) {
            // the kernel dropped it already; Java's record of it goes here
        }
        lock = channel.lock();
        if (!key.equals(keyOf(file))) {
            throw new IOException(file + " was removed while the copy was written (by whom is not known: nothing of "
                    + "this project removes a locked partial file)");
        }
    }

    /**
     * Forces the copy to disk and renames it over {@code target}, under the lock.
     *
     * @return the copy's size in bytes
     */
    long keepAs(Path target) throws IOException {
        channel.force(true);  // the writer (VACUUM INTO, pg_dump) leaves its copy to the page cache
        if (!key.equals(keyOf(file))) {
            throw new IOException(file + " is no longer the copy this backup wrote");
        }
        long size = Files.size(file);
        CrashPoints.at(CrashPoints.BACKUP_COPIED);
        DurableFiles.move(file, target);
        kept = true;
        return size;
    }

    /** Deletes the file and SQLite's journal of it (a failed or stopped backup's), once, unless kept. */
    void discard() {
        if (kept) {
            return;
        }
        for (Path f : new Path[] {journalOf(file), file}) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                // left for the next backup into this directory, which finds it unlocked
            }
        }
    }

    /** Discards the file unless it was kept, then ends the lock. */
    @Override
    public void close() throws IOException {
        try {
            discard();
            channel.close();  // the lock ends with it
        } finally {
            HELD_HERE.remove(file);
        }
    }

    /** SQLite's rollback journal of the copy in {@code partial}. */
    static Path journalOf(Path partial) {
        return partial.resolveSibling(partial.getFileName() + BackupLeftovers.JOURNAL);
    }

    /** The file's identity (device and inode), or null when there is none at that name. */
    private static Object keyOf(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (NoSuchFileException gone) {
            return null;
        }
    }

    /**
     * Tests a partial file's lock from a channel open on it: a shared lock on the whole file, which
     * no process can take while a backup holds its exclusive one (nor while SQLite writes the copy).
     *
     * @return the test's lock, held until the channel closes; null when a backup holds the file
     */
    static FileLock test(FileChannel channel) throws IOException {
        try {
            return channel.tryLock(0, Long.MAX_VALUE, true);
        } catch (OverlappingFileLockException thisProcess) {
            return null;
        }
    }

    @Override
    public String toString() {
        return Objects.toString(file);
    }
}
