package dev.rhizome.protocol.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Makes one process at a time the owner of state that it caches in memory or cleans up at start
 * (a node's data directory, the coordinator's SQLite store): a second daemon on the same files
 * would read stale caches, or delete the first one's running work as "left by a crash". An OS file
 * lock, so it is released when the owner exits, even by kill -9, and never needs clearing by hand.
 * The file holds the owner's pid, for the error message only; it is left in place on release, since
 * deleting it would let a process that opened it just before lock a file nobody else can see.
 */
public final class ProcessLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private ProcessLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes {@code file} (created if missing) or says who holds it.
     *
     * @param what the state it guards, as the error message names it, e.g. "the node data directory /x"
     * @throws IOException naming {@code what} and the holder's pid when another process (or another
     *                     owner in this one) holds it
     */
    public static ProcessLock acquire(Path file, String what) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException heldInThisProcess) {
            lock = null;
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot lock " + file + " for " + what + ": " + e.getMessage(), e);
        }
        if (lock == null) {
            String holder = holder(file);
            channel.close();
            throw new Held(what + " is in use by another running process" + holder + " (lock " + file
                    + "); stop it first, or give this one a data directory of its own", what, holder);
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        return new ProcessLock(channel, lock);
    }

    /** Another process (or owner) holds the lock: a state the user can act on, not an I/O failure. */
    public static final class Held extends IOException {
        private final String what;
        private final String holder;

        Held(String message, String what, String holder) {
            super(message);
            this.what = what;
            this.holder = holder;
        }

        /** The state the lock guards, e.g. "the node data directory /x". */
        public String what() {
            return what;
        }

        /** " (pid N)" when the holder wrote its pid, else empty. */
        public String holder() {
            return holder;
        }
    }

    private static String holder(Path file) {
        try {
            String pid = Files.readString(file, StandardCharsets.US_ASCII).trim();
            return pid.matches("\\d{1,10}") ? " (pid " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Releases the lock; a second call does nothing (an owner handed on may be closed by both). */
    @Override
    public void close() throws IOException {
        if (!channel.isOpen()) {
            return;
        }
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
