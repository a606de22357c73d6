package dev.rhizome.node.git;

import dev.rhizome.node.api.ProcessStamp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The directory one repository's imports unpack into ({@link Quarantine}), made once and emptied
 * after each import rather than made and removed with it: making three directories and removing
 * them again was a tenth of an import's CPU on ext4 (docs/performance.md, "Where one import's CPU
 * goes"), paid by every node for every copy it receives. Imports take it one at a time (they run
 * under {@link CommitRefs#writeLock()}); one that is still taken when asked for again is refused
 * rather than shared. It is named as a fresh quarantine is, after this process, so a process
 * killed with it in use leaves one that the next open removes at once ({@link Quarantine#removeAbandoned}).
 *
 * <p>What a refused bundle unpacked must never be seen by the next import: were it, a rogue's
 * objects could complete another bundle's history. So it is emptied of every file and directory
 * but its own skeleton when given back, and where emptying fails it is removed whole and the next
 * import gets a new one.
 */
final class QuarantineDir implements AutoCloseable {
    private final Path gitDir;
    private Path dir;
    private boolean taken;
    private boolean closed;

    QuarantineDir(Path gitDir) {
        this.gitDir = gitDir;
    }

    /** The empty directory, with {@code objects/pack} in it, made on first use; until given back, no one else's. */
    synchronized Path take() throws IOException {
        if (closed) {
            throw new IOException("repository " + gitDir + " is closed");
        }
        if (taken) {
            throw new IllegalStateException("quarantine of " + gitDir + " is already in use: imports run one at a time");
        }
        if (dir == null || !Files.isDirectory(dir.resolve("objects").resolve("pack"))) {
            // named by this process, so that the next open removes it at once once this process is dead
            Path made = Files.createTempDirectory(gitDir, Quarantine.PREFIX + ProcessStamp.current().name() + "-");
            try {
                Files.createDirectories(made.resolve("objects").resolve("pack"));
            } catch (IOException e) {
                Quarantine.delete(made);
                throw e;
            }
            if (dir != null) {
                Quarantine.delete(dir);
            }
            dir = made;
        }
        taken = true;
        return dir;
    }

    /** Empties the directory for the next import; where it cannot, removes it, so that none sees what it held. */
    synchronized void giveBack(Path given) throws IOException {
        if (given != dir || !taken) {
            throw new IllegalStateException("not the quarantine taken: " + given);
        }
        taken = false;
        if (closed) {
            forget();
            return;
        }
        try {
            empty(given);
        } catch (IOException | RuntimeException e) {
            forget();
            throw e;
        }
    }

    /** Removes the directory (a repository closing); an import still using it removes it when it gives it back. */
    @Override
    public synchronized void close() throws IOException {
        closed = true;
        if (!taken) {
            forget();
        }
    }

    private void forget() throws IOException {
        Path gone = dir;
        dir = null;
        if (gone != null) {
            Quarantine.delete(gone);
        }
    }

    /** Deletes everything below {@code quarantine} but {@code objects/pack} and its parent. */
    private static void empty(Path quarantine) throws IOException {
        Path objects = quarantine.resolve("objects");
        Path pack = objects.resolve("pack");
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(quarantine)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path path : paths) {
            if (path.equals(quarantine) || path.equals(objects) || path.equals(pack)) {
                continue;
            }
            try {
                Files.delete(path);
            } catch (NoSuchFileException gone) {
                // removed meanwhile
            }
        }
    }
}
