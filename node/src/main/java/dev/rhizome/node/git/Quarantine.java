package dev.rhizome.node.git;

import dev.rhizome.node.api.ProcessStamp;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.lib.ObjectDatabase;
import org.eclipse.jgit.lib.Repository;

/**
 * Where a received pack is unpacked and judged before the repository holds any of it: an object
 * directory of its own inside the repository's directory (the same file system, so admitting the
 * pack is a rename), reading the repository's objects as an alternate (a thin pack's bases, the
 * prerequisites' history), as git's own receive quarantine does. A bundle refused once unpacked
 * (padded, incomplete, a tip that is no commit) leaves nothing in the repository: its objects
 * were never there. Before, they stayed in a pack of their own until a repack dropped them. The
 * directory and its JGit repository are kept for the next import ({@link QuarantineDir}).
 */
final class Quarantine implements AutoCloseable {
    /**
     * Directories a process killed mid-import leaves behind start so ({@link #removeAbandoned}),
     * followed by the importing process's {@link ProcessStamp} and a dash (a quarantine named the
     * older way, without it, has none).
     */
    static final String PREFIX = "rhizome-quarantine-";

    private final Path dir;
    private final QuarantineDir place;
    private final Repository repository;

    private Quarantine(QuarantineDir place, Repository repository) {
        this.dir = repository.getDirectory().toPath();
        this.place = place;
        this.repository = repository;
    }

    /** An empty quarantine beside its repository's objects (an alternate), {@code place}'s until closed. */
    static Quarantine open(QuarantineDir place) throws IOException {
        return new Quarantine(place, place.take());
    }

    /** Reads the quarantined objects and, through the alternate, the repository's. */
    Repository repository() {
        return repository;
    }

    /**
     * Moves the quarantined packs into {@code main}'s pack directory, each pack's index last (JGit
     * and git read a pack only once its index is there), and tells {@code main}'s object database.
     * A pack of the same name already there holds the same objects, and is left as it is.
     */
    void admitInto(Repository main) throws IOException {
        Path source = dir.resolve("objects").resolve("pack");
        Path target = main.getDirectory().toPath().resolve("objects").resolve("pack");
        Files.createDirectories(target);
        try (DirectoryStream<Path> indexes = Files.newDirectoryStream(source, "pack-*.idx")) {
            for (Path index : indexes) {
                String name = index.getFileName().toString();
                String base = name.substring(0, name.length() - ".idx".length());
                if (Files.exists(target.resolve(name))) {
                    continue;
                }
                for (String extension : List.of(".pack", ".rev", ".bitmap")) {
                    Path part = source.resolve(base + extension);
                    if (Files.exists(part)) {
                        Files.move(part, target.resolve(base + extension), StandardCopyOption.ATOMIC_MOVE);
                    }
                }
                Files.move(index, target.resolve(name), StandardCopyOption.ATOMIC_MOVE);
                ObjectDatabase objects = main.getObjectDatabase();
                if (objects instanceof ObjectDirectory directory) {
                    directory.openPack(target.resolve(base + ".pack").toFile());
                }
            }
        }
    }

    /** Forgets whatever the quarantine still holds. */
    @Override
    public void close() throws IOException {
        place.giveBack(repository);
    }

    /**
     * Removes quarantines older than {@code olderThan} in the repository at {@code gitDir}: left by a
     * process killed mid-import. Younger ones may be another process's import running now. Returns
     * the bytes freed.
     */
    static long removeAbandoned(Path gitDir, Duration olderThan) throws IOException {
        long cutoff = System.currentTimeMillis() - olderThan.toMillis();
        long freed = 0;
        try (DirectoryStream<Path> quarantines = Files.newDirectoryStream(gitDir, PREFIX + "*")) {
            for (Path quarantine : quarantines) {
                Optional<ProcessStamp> importer = importerOf(quarantine.getFileName().toString());
                if (importer.isPresent() && importer.get().alive()) {
                    continue;  // its import runs now, however long it takes
                }
                try {
                    if (importer.isPresent() || Files.getLastModifiedTime(quarantine).toMillis() < cutoff) {
                        freed += delete(quarantine);
                    }
                } catch (NoSuchFileException gone) {
                    // its import ended meanwhile
                }
            }
        }
        return freed;
    }

    /** The process a quarantine's name says made it ({@code PREFIX PID-START-RANDOM}); empty for one named the older way. */
    static Optional<ProcessStamp> importerOf(String name) {
        if (!name.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String rest = name.substring(PREFIX.length());
        int first = rest.indexOf('-');
        int second = first < 0 ? -1 : rest.indexOf('-', first + 1);
        return second < 0 ? Optional.empty() : ProcessStamp.parse(rest.substring(0, second));
    }

    /** Deletes {@code dir} and everything in it; the bytes its files took. */
    static long delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        long freed = 0;
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(dir)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path path : paths) {
            try {
                if (Files.isRegularFile(path)) {
                    freed += Files.size(path);
                }
                Files.delete(path);
            } catch (NoSuchFileException gone) {
                // removed meanwhile
            }
        }
        return freed;
    }
}
