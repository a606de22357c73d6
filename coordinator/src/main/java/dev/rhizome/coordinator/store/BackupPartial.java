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
 * killed one's leftover by taking the lock ({@link #take}: exclusive, the name checked under it), not
 * by looking for processes ({@link BackupLeftovers}).
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
     * released the lock; checks the file at the name is still this one. An open-file-description lock
     * ({@code F_OFD_SETLK}) would survive that close, but Java 17 cannot take one (the JDK's lock is
     * {@code F_SETLK}; no JNA in the build), and one over the whole file would refuse SQLite's own
     * locks on the copy, OFD and process locks conflicting within one process (docs/architecture.md,
     * "Crashes").
     */
    void relock() throws IOException {
        try {
            lock.release();
        } catch (IOException | RuntimeException released) {
            // the kernel dropped it already; Java's record of it goes here
        }
        lock = channel.lock();
        if (!key.equals(keyOf(file))) {
            throw new IOException(file + " was taken over by another backup to the same file while this one's copy was "
                    + "finished (SQLite's close of the copy ends this backup's lock for a moment): that backup's copy "
                    + "goes there instead, and nothing was renamed by this one");
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
        CrashPoints.pause(CrashPoints.BACKUP_RENAMING);
        DurableFiles.move(file, target);
        kept = true;
        return size;
    }

    /**
     * Deletes the file and SQLite's journal of it (a failed or stopped backup's), once, unless kept, and
     * only while the name holds this backup's file: one taken over in the moment its lock was down
     * ({@link #relock}) is the other backup's now, and deleting it by name ended that one too.
     */
    void discard() {
        if (kept) {
            return;
        }
        try {
            if (!key.equals(keyOf(file))) {
                return;
            }
        } catch (IOException e) {
            return;  // left for the next backup into this directory, which finds it unlocked
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

    /** What a test of a partial file found ({@link #take}). */
    enum Taken { TAKEN, LOCKED, MOVED }

    /**
     * A test of the partial file at a name: its lock taken, exclusive, on a descriptor of its own, and
     * the name found still to hold that very file once it is. Held, no other process can take the file:
     * every remover of a partial file (this test, a backup's own discard) holds a lock on it, so while
     * this one is held the name holds the locked file until it is deleted here. A shared test (round 32)
     * let two removers hold it at once, and one deleted by name the file another backup had made there
     * meanwhile (two backups to FILE finding one killed leftover, or a sweep beside them).
     */
    static final class Test implements AutoCloseable {
        private final FileChannel channel;
        private final Taken taken;

        private Test(FileChannel channel, Taken taken) {
            this.channel = channel;
            this.taken = taken;
        }

        Taken taken() {
            return taken;
        }

        /** The tested file's bytes are read through this channel: closing another would end the lock. */
        FileChannel channel() {
            return channel;
        }

        @Override
        public void close() throws IOException {
            if (channel != null) {
                channel.close();
            }
        }
    }

    /**
     * Tests the partial file at {@code file}: {@link Taken#TAKEN} with its lock held until the test
     * closes, {@link Taken#LOCKED} when a live backup holds it (or SQLite writes it), {@link Taken#MOVED}
     * when the name is gone or now holds another file (another backup removed or made it meanwhile).
     */
    static Test take(Path file) throws IOException {
        Object before = keyOf(file);
        if (before == null) {
            return new Test(null, Taken.MOVED);
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
            return new Test(null, Taken.MOVED);
        }
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException thisProcess) {
                lock = null;
            }
            Taken taken = lock == null ? Taken.LOCKED : before.equals(keyOf(file)) ? Taken.TAKEN : Taken.MOVED;
            if (taken != Taken.TAKEN) {
                channel.close();
                return new Test(null, taken);
            }
            return new Test(channel, taken);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public String toString() {
        return Objects.toString(file);
    }
}
