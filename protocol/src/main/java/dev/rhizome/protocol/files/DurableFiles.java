package dev.rhizome.protocol.files;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces a file so that a crash at any moment leaves either the old content or the new, whole,
 * and that once a call returns the new content survives a power loss, not only a kill -9 (which the
 * page cache survives). The content goes to {@code <name>.tmp} beside the target, is forced to
 * disk, renamed over the target, and then the directory is forced too: a rename is a change to the
 * directory, and until the directory is on disk a power loss can undo it (POSIX promises nothing
 * else; ext4 and XFS lose it).
 *
 * <p>The temporary name is one per writer, {@code <name>.<pid>-<start>-<16 hex>.tmp} (the start
 * is {@link ProcessStarts}'; {@code <name>.<pid>-<16 hex>.tmp} where the system does not tell it,
 * and in earlier versions): several processes
 * replace one file (the CLI's {@code networks/} file, written by the first commands of a data
 * directory to reach a coordinator, two of them started together), and through one fixed name they
 * deleted each other's temporary file, so one failed its rename or renamed the other's half-written
 * file into place. With a name each, every rename moves a whole file, and the last one wins. A
 * writer killed before its rename leaves its file behind; the next write in the same directory
 * removes the siblings whose writer runs no more: its pid names no running process, or one started
 * at another time than the name says (the pid was used again: after a long run, or a container's
 * restart, whose node is often the same small pid), or this process while no write of ours has
 * that file open. A leftover named without a start whose pid an unrelated live process took stays
 * until that process exits. Pids are this host's
 * (and this pid namespace's): two containers sharing a directory, each with its own pid namespace,
 * could take each other's live temporary file for a dead one, and fail that write. Chosen over a
 * lock file beside each target, which would stay in every directory for good. {@link
 * #removeLeftovers} clears a directory at its owner's start.
 */
public final class DurableFiles {
    public static final String TEMP_SUFFIX = ".tmp";
    /** What follows {@code <name>.} in a writer's temporary name: its pid, its start (since round 23) and a random part. */
    private static final Pattern ANY_WRITER =
            Pattern.compile(".*\\.(\\d{1,10})(?:-(\\d{1,20}))?-[0-9a-f]{16}" + Pattern.quote(TEMP_SUFFIX));
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long PID = ProcessHandle.current().pid();
    /** {@code -<start>} in this process's temporary names, or nothing where the system does not tell it. */
    private static final String START = ProcessStarts.current().stream().mapToObj(t -> "-" + t).findFirst().orElse("");
    /** This process's temporary files being written: a listing keeps these of those named with our pid. */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();
    private static final boolean DIRECTORIES_OPEN = !System.getProperty("os.name", "").startsWith("Windows");

    /** Writes the content of a file; may be called once, and must write all of it. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private DurableFiles() {
    }

    public static void replace(Path target, byte[] content, FileAttribute<?>... attributes) throws IOException {
        replace(target, out -> out.write(content), attributes);
    }

    /**
     * Writes {@code target} whole through a temporary sibling, forcing the file, the rename and the
     * directory to disk. Writes of one target from several threads of this process take turns
     * ({@link #turnOf}); callers whose contents differ still order them themselves (the last rename
     * wins).
     */
    public static void replace(Path target, Content content, FileAttribute<?>... attributes) throws IOException {
        synchronized (turnOf(target)) {
            replaceNow(target, content, attributes);
        }
    }

    /**
     * One of a fixed set of locks, the same for every write of one target: two threads writing one
     * target through the one temporary name would delete each other's temporary file, and one's
     * rename then failed, or moved the other's half-written file into place (a node's claim and its
     * gossip both keeping the network id learnt at start: the claim failed with "network.tmp ->
     * network"). Striped, so that the writes of a long-running node (a file per result) add no lock.
     */
    static Object turnOf(Path target) {
        return TURNS[Math.floorMod(target.toAbsolutePath().normalize().hashCode(), TURNS.length)];
    }

    private static final Object[] TURNS = new Object[64];

    static {
        for (int i = 0; i < TURNS.length; i++) {
            TURNS[i] = new Object();
        }
    }

    private static void replaceNow(Path target, Content content, FileAttribute<?>... attributes) throws IOException {
        Path tmp = temporaryOf(target);
        removeDeadWriters(target);
        Path mine = tmp.toAbsolutePath().normalize();
        WRITING.add(mine);  // before it exists, so that no listing of another thread takes it for a leftover
        try {
            try (FileChannel ch = FileChannel.open(Files.createFile(tmp, attributes), StandardOpenOption.WRITE)) {
                OutputStream out = Channels.newOutputStream(ch);
                content.writeTo(out);
                out.flush();
                ch.force(true);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            move(tmp, target);
        } finally {
            WRITING.remove(mine);
        }
    }

    /** A temporary name of this writer's own for a write of {@code target}. */
    static Path temporaryOf(Path target) {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        return target.resolveSibling(target.getFileName() + "." + PID + START + "-" + HexFormat.of().formatHex(random) + TEMP_SUFFIX);
    }

    /**
     * Deletes the temporary files of the writers of {@code target}'s directory that are gone (killed
     * before their rename), listing the directory only when this process has not listed it in the
     * last {@link #RESCAN_NANOS}: a node's outbox holds a file per result, and listing it on every
     * write made each write cost the whole directory. Also removes {@code <name>.tmp}, the one fixed
     * name of earlier versions. Called holding the target's turn.
     */
    private static void removeDeadWriters(Path target) throws IOException {
        Files.deleteIfExists(target.resolveSibling(target.getFileName() + TEMP_SUFFIX));
        Path dir = parent(target);
        Listing listing;
        synchronized (LISTINGS) {
            listing = LISTINGS.computeIfAbsent(dir, d -> new Listing());
        }
        synchronized (listing) {
            long now = System.nanoTime();
            if (listing.done && now - listing.at < RESCAN_NANOS) {
                return;
            }
            removeDeadWritersIn(dir);
            listing.done = true;
            listing.at = now;
            listing.count++;
        }
    }

    /** How long a listing of a directory stands in this process before a write there lists it again. */
    static final long RESCAN_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * How many directories' last listings this process remembers. A process that writes into ever
     * new directories (a coordinator's or node's per-unit directories over weeks) kept one entry for
     * each, for good; past this many, the one written least recently is forgotten, which costs at
     * most one more listing when it is written again (nothing else hangs on it: our own files being
     * written are known by {@link #WRITING}).
     */
    static final int MAX_LISTINGS = 512;

    /** When this process last listed a directory for dead writers. */
    private static final class Listing {
        boolean done;
        long at;
        int count;
    }

    /** How many times this process listed {@code dir} for dead writers since it last forgot it (for tests). */
    static int listingsOf(Path dir) {
        Listing listing;
        synchronized (LISTINGS) {
            listing = LISTINGS.get(dir.toAbsolutePath());
        }
        if (listing == null) {
            return 0;
        }
        synchronized (listing) {
            return listing.count;
        }
    }

    /** How many directories' listings this process remembers (for tests). */
    static int listingsRemembered() {
        synchronized (LISTINGS) {
            return LISTINGS.size();
        }
    }

    /** Guarded by itself; in order of last use, the least recent first out past {@link #MAX_LISTINGS}. */
    private static final Map<Path, Listing> LISTINGS = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, Listing> eldest) {
            return size() > MAX_LISTINGS;
        }
    };

    private static void removeDeadWritersIn(Path dir) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + TEMP_SUFFIX)) {
            for (Path f : files) {
                Matcher m = ANY_WRITER.matcher(f.getFileName().toString());
                if (m.matches() && writerGone(f, m)) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (NoSuchFileException e) {
            // no directory yet: the write says so itself
        }
    }

    /**
     * The writer of {@code file} (named as {@code m} matched it) runs no more: its pid names no
     * running process, or one that started at another time than the name says, or this process
     * while none of its writes has the file open (a file with our pid and no such write is an
     * earlier process's that had the same pid).
     */
    private static boolean writerGone(Path file, Matcher m) {
        OptionalLong pid = parseLong(m.group(1));
        if (pid.isEmpty()) {
            return true;
        }
        if (pid.getAsLong() == PID) {
            return !WRITING.contains(file.toAbsolutePath().normalize());
        }
        return !ProcessStarts.running(pid.getAsLong(), m.group(2) == null ? OptionalLong.empty() : parseLong(m.group(2)));
    }

    private static OptionalLong parseLong(String digits) {
        try {
            return OptionalLong.of(Long.parseLong(digits));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Renames {@code from} over {@code to} atomically and forces the directories involved. */
    public static void move(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Path toDir = parent(to);
        forceDirectory(toDir);
        Path fromDir = parent(from);
        if (!fromDir.equals(toDir)) {
            forceDirectory(fromDir);
        }
    }

    /** Deletes {@code file} if present and forces its directory, so the deletion itself is durable. */
    public static void delete(Path file) throws IOException {
        if (Files.deleteIfExists(file)) {
            forceDirectory(parent(file));
        }
    }

    /**
     * Forces a directory's entries (creations, renames, deletions) to disk. Windows cannot open a
     * directory; there the rename's own durability is what NTFS gives.
     */
    public static void forceDirectory(Path dir) throws IOException {
        if (!DIRECTORIES_OPEN) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * Deletes the temporary files a process killed between a write and its rename left in
     * {@code dir}: a writer's that runs no more (see {@link #writerGone}), and any other
     * {@code *.tmp} file (earlier versions' fixed and random names). Only for the directory's
     * owner (a process holding its {@link ProcessLock}), before it writes there itself: a
     * {@code *.tmp} of another kind may be another process's. A running writer's (another
     * process's, e.g. an agent's {@code rhizome} command) is kept.
     *
     * @return how many it deleted
     */
    public static int removeLeftovers(Path dir) throws IOException {
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + TEMP_SUFFIX)) {
            for (Path f : files) {
                Matcher m = ANY_WRITER.matcher(f.getFileName().toString());
                if (m.matches() && !writerGone(f, m)) {
                    continue;
                }
                if (Files.isRegularFile(f) && Files.deleteIfExists(f)) {
                    removed++;
                }
            }
        } catch (NoSuchFileException e) {
            return 0;
        }
        return removed;
    }

    private static Path parent(Path file) {
        Path p = file.toAbsolutePath().getParent();
        if (p == null) {
            throw new IllegalArgumentException(file + " has no parent directory");
        }
        return p;
    }
}
