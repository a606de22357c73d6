package dev.rhizome.node.git;

import dev.rhizome.node.api.ProcessStamp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * The directory one repository's imports unpack into ({@link Quarantine}), made once and emptied
 * after each import rather than made and removed with it: making three directories and removing
 * them again was a tenth of an import's CPU on ext4 (docs/performance.md, "Where one import's CPU
 * goes"), paid by every node for every copy it receives. Imports take it one at a time (they run
 * under {@link CommitRefs#writeLock()}); one that is still taken when asked for again is refused
 * rather than shared. It is named as a fresh quarantine is, after this process, so a process
 * killed with it in use leaves one that the next open removes at once ({@link Quarantine#removeAbandoned}).
 *
 * <p>The JGit repository on it is kept too (building one read its configuration and opened the
 * alternate for every import). Its skeleton is {@code objects/pack} and {@code objects/info/alternates}
 * naming the repository's own objects: a thin pack's bases, the prerequisites' history and the
 * held commits a reach check stops at are read through it. The builder's alternate would not do:
 * JGit drops it when the object database is closed and reopens alternates only from that file.
 *
 * <p>What a refused bundle unpacked must never be seen by the next import: were it, a rogue's
 * objects could complete another bundle's history. So when it is given back the repository's
 * object database is closed first (its list of packs, still open on files about to be deleted,
 * and its cache of loose object names are dropped; the next import's first look scans the
 * directory again), then the directory is emptied of every file and directory but its skeleton;
 * where either fails both are thrown away and the next import gets new ones.
 */
final class QuarantineDir implements AutoCloseable {
    private final Path gitDir;
    private Path dir;
    private Repository repository;
    private boolean taken;
    private boolean closed;

    QuarantineDir(Path gitDir) {
        this.gitDir = gitDir;
    }

    /** The repository on the empty directory, made on first use; until given back, no one else's. */
    synchronized Repository take() throws IOException {
        if (closed) {
            throw new IOException("repository " + gitDir + " is closed");
        }
        if (taken) {
            throw new IllegalStateException("quarantine of " + gitDir + " is already in use: imports run one at a time");
        }
        if (dir == null || !Files.isDirectory(dir.resolve("objects").resolve("pack"))
                || !Files.isRegularFile(dir.resolve("objects").resolve(Constants.INFO_ALTERNATES))) {
            forget();
            // named by this process, so that the next open removes it at once once this process is dead
            Path made = Files.createTempDirectory(gitDir, Quarantine.PREFIX + ProcessStamp.current().name() + "-");
            try {
                Path objects = made.resolve("objects");
                Files.createDirectories(objects.resolve("pack"));
                Files.createDirectories(objects.resolve("info"));
                Files.writeString(objects.resolve(Constants.INFO_ALTERNATES),
                        gitDir.toAbsolutePath().resolve("objects") + "\n");
                repository = new FileRepositoryBuilder().setGitDir(made.toFile()).setBare()
                        .setObjectDirectory(objects.toFile()).build();
            } catch (IOException | RuntimeException e) {
                Quarantine.delete(made);
                throw e;
            }
            dir = made;
        }
        taken = true;
        return repository;
    }

    /**
     * Forgets what the import unpacked: the object database closed, the directory emptied; where it
     * cannot, both are thrown away, so that none sees what they held.
     */
    synchronized void giveBack(Repository given) throws IOException {
        if (given != repository || !taken) {
            throw new IllegalStateException("not the quarantine taken: " + given.getDirectory());
        }
        taken = false;
        if (closed) {
            forget();
            return;
        }
        try {
            repository.getObjectDatabase().close();
            empty(dir);
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
        Repository kept = repository;
        Path gone = dir;
        repository = null;
        dir = null;
        try {
            if (kept != null) {
                kept.close();
            }
        } finally {
            if (gone != null) {
                Quarantine.delete(gone);
            }
        }
    }

    /** Deletes everything below {@code quarantine} but its skeleton: {@code objects/pack} and {@code objects/info/alternates}. */
    private static void empty(Path quarantine) throws IOException {
        Path objects = quarantine.resolve("objects");
        Path pack = objects.resolve("pack");
        Path info = objects.resolve("info");
        Path alternates = objects.resolve(Constants.INFO_ALTERNATES);
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(quarantine)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path path : paths) {
            if (path.equals(quarantine) || path.equals(objects) || path.equals(pack) || path.equals(info)
                    || path.equals(alternates)) {
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
