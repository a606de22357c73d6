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

/**
 * Replaces a file so that a crash at any moment leaves either the old content or the new, whole,
 * and that once a call returns the new content survives a power loss, not only a kill -9 (which the
 * page cache survives). The content goes to {@code <name>.tmp} beside the target, is forced to
 * disk, renamed over the target, and then the directory is forced too: a rename is a change to the
 * directory, and until the directory is on disk a power loss can undo it (POSIX promises nothing
 * else; ext4 and XFS lose it). The temporary name is fixed, so a process killed before its rename
 * leaves at most one leftover per target, which the next write replaces ({@link #removeLeftovers}
 * clears them at start).
 */
public final class DurableFiles {
    public static final String TEMP_SUFFIX = ".tmp";
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
    private static Object turnOf(Path target) {
        return TURNS[Math.floorMod(target.toAbsolutePath().normalize().hashCode(), TURNS.length)];
    }

    private static final Object[] TURNS = new Object[64];

    static {
        for (int i = 0; i < TURNS.length; i++) {
            TURNS[i] = new Object();
        }
    }

    private static void replaceNow(Path target, Content content, FileAttribute<?>... attributes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
        Files.deleteIfExists(tmp);
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
     * {@code dir}. Only for the directory's owner (a process holding its {@link ProcessLock}):
     * another writer's temporary file would go with them.
     *
     * @return how many it deleted
     */
    public static int removeLeftovers(Path dir) throws IOException {
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + TEMP_SUFFIX)) {
            for (Path f : files) {
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
