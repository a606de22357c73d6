package dev.rhizome.node.job;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which of {@link JobUids}' uids a root node's slots hold, so that two root nodes of one machine never
 * run jobs as the same uid: each slot holds a lock on its uid's file for as long as the slot exists
 * (a POSIX record lock, which the kernel drops when the node's process ends, killed or not). Both
 * nodes took slot {@code n}'s uid from its number before, and every count the kernel keeps per uid was
 * shared by their slots {@code n}, and one node's job could signal the other's.
 *
 * <p>A slot takes its own number's uid when free, else the next free one of the range. Within one JVM
 * the held uids are also kept in a set: closing any descriptor of a file drops every POSIX lock the
 * process holds on it, so the JVM must never open a held uid's file a second time to find out.
 */
public final class JobUidLeases {
    /** Where a root node keeps its locks: root's alone to write (not /tmp, where anyone may plant a name). */
    public static final Path ROOT_DIR = Path.of("/run/rhizome-job-uids");
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");
    private static final Cleaner CLEANER = Cleaner.create();
    /** The uids this JVM holds, by lock directory: the second node of a test, or a probe beside a node. */
    private static final Map<Path, Set<Integer>> HELD = new ConcurrentHashMap<>();

    private final Path dir;
    /** The range's first uid and how many it has: {@link JobUids}' for a root node, a subordinate range's otherwise. */
    private final long first;
    private final int slots;

    /** Leases in {@code dir}, made private to this user if absent; refused if it is a link or another user's. */
    public JobUidLeases(Path dir) throws IOException {
        this(dir, JobUids.uidOf(0), JobUids.SLOTS);
    }

    /**
     * Leases of the uids {@code first} to {@code first+slots-1} in {@code dir}: a node of an ordinary user
     * leases its subordinate uids so ({@link SubordinateJobs}), against that user's other nodes, whose
     * namespaces map the same range.
     */
    JobUidLeases(Path dir, long first, int slots) throws IOException {
        if (first < 1 || slots < 1 || first + slots - 1 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("no uid range to lease: " + first + "+" + slots);
        }
        this.first = first;
        this.slots = slots;
        this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
        if (!Files.exists(this.dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(this.dir, PosixFilePermissions.asFileAttribute(PRIVATE));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another node made it: checked below like any other
            } catch (IOException e) {
                throw new IOException("cannot make " + this.dir + ", where nodes lock the job uids their slots hold: "
                        + e, e);
            }
        }
        if (!Files.isDirectory(this.dir, LinkOption.NOFOLLOW_LINKS)
                || (Integer) Files.getAttribute(this.dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) != JobDirs.myUid()
                || !Files.getPosixFilePermissions(this.dir, LinkOption.NOFOLLOW_LINKS).equals(PRIVATE)) {
            throw new IOException(this.dir + ", where nodes lock the job uids their slots hold, is not a directory "
                    + "of this user's alone (mode 0700); remove it");
        }
    }

    /**
     * The leases of a root node on this machine: in {@link #ROOT_DIR}, or, on a system without a
     * writable /run (a bare or read-only container), in the temporary directory, where a name another
     * user planted first is refused, not used.
     */
    public static JobUidLeases forRootNodes() throws IOException {
        Path run = ROOT_DIR.getParent();
        return new JobUidLeases(Files.isDirectory(run) && Files.isWritable(run) ? ROOT_DIR
                : Path.of(System.getProperty("java.io.tmpdir"), ROOT_DIR.getFileName().toString()));
    }

    /**
     * Holds slot {@code slot}'s uid: {@link JobUids#uidOf} it when no node holds it, else the next free one
     * of the range, wrapping. Held until {@link Lease#close} or, failing that, until the lease is
     * unreachable or the process ends.
     */
    public Lease take(int slot) throws IOException {
        if (slot < 0 || slot >= slots) {
            throw new IllegalArgumentException("slot " + slot + " is past the " + slots + " uids there are ("
                    + first + "+" + slots + ")");
        }
        Set<Integer> mine = HELD.computeIfAbsent(dir, d -> ConcurrentHashMap.newKeySet());
        for (int i = 0; i < slots; i++) {
            int uid = (int) (first + (slot + i) % slots);
            if (!mine.add(uid)) {
                continue; // this JVM holds it: never opened twice
            }
            FileChannel channel = null;
            try {
                channel = FileChannel.open(dir.resolve(uid + ".lock"), Set.of(StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    return new Lease(uid, new Held(dir, uid, channel));
                }
            } catch (OverlappingFileLockException e) {
                // Held in this JVM through another spelling of the directory: taken. This channel stays open,
                // since closing it would drop that lease's lock.
                mine.remove(uid);
                continue;
            } catch (IOException | RuntimeException e) {
                mine.remove(uid);
                close(channel);
                throw e;
            }
            // Another node holds it. This channel is closed before the uid leaves the set, so that no lock of ours is on it.
            close(channel);
            mine.remove(uid);
        }
        throw new IOException("every job uid (" + first + " to " + (first + slots - 1)
                + ") is held by another node on this machine");
    }

    private static void close(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing drops the lock all the same
            }
        }
    }

    /** One slot's uid, held until closed. */
    public static final class Lease implements AutoCloseable {
        private final int uid;
        private final Cleaner.Cleanable release;

        private Lease(int uid, Held held) {
            this.uid = uid;
            this.release = CLEANER.register(this, held);
        }

        public int uid() {
            return uid;
        }

        @Override
        public void close() {
            release.clean();
        }
    }

    /** What releases a lease: no reference to it, so that a lease no one holds is released by the cleaner. */
    private record Held(Path dir, int uid, FileChannel channel) implements Runnable {
        @Override
        public void run() {
            JobUidLeases.close(channel);
            Set<Integer> mine = HELD.get(dir);
            if (mine != null) {
                mine.remove(uid);
            }
        }
    }
}
