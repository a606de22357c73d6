package dev.rhizome.node.git;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A repository directory whose making a kill cut short. JGit makes {@code refs/} before
 * {@code objects/} and refuses to make either where it exists, so a first start killed between the
 * two left a directory that no later start could open ("Creating directory .../refs failed"). With no
 * {@code objects/} it holds no commit; one that holds nothing but what JGit's making writes (its
 * directories, {@code HEAD}, {@code description}, a lock) is removed so that it is made again whole,
 * and anything else there is refused with what to do.
 */
final class UnmadeRepository {
    /** What JGit's making of a bare repository writes before its {@code config}, the last. */
    private static final Set<String> MADE_FILES = Set.of("HEAD", "description", "config.lock", "HEAD.lock");

    private UnmadeRepository() {
    }

    /** Clears {@code gitDir} if it is a making cut short; nothing if it is absent or has {@code objects/}. */
    static void clear(Path gitDir) throws IOException {
        if (!Files.isDirectory(gitDir, LinkOption.NOFOLLOW_LINKS) || Files.exists(gitDir.resolve("objects"), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> entries;
        try (Stream<Path> all = Files.walk(gitDir)) {
            entries = all.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : entries) {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && !MADE_FILES.contains(p.getFileName().toString())) {
                throw new IOException(gitDir + " is not a repository (no objects/ in it) and holds " + gitDir.relativize(p)
                        + ", which a node's repository never does before its objects; move it away or point --data-dir "
                        + "elsewhere");
            }
        }
        for (Path p : entries) {
            if (!p.equals(gitDir)) {
                Files.delete(p);
            }
        }
    }
}
