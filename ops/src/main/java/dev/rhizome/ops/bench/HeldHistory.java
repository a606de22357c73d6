package dev.rhizome.ops.bench;

import dev.rhizome.node.git.BundleException;
import dev.rhizome.node.git.NodeRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * One chain of commits every node of a bench holds before the links come up, so that the bundles
 * the bench injects are children of its tip and travel as the thin bundles nodes really exchange
 * (a direction's next experiment on the history its holders have): the holder sends only the new
 * objects, the receiver checks prerequisites and walks to the held boundary. Each commit is kept as
 * a bundle file thin on the one before it, and a node is given the chain one bundle at a time, so
 * that it holds one pack a commit, as a node that fetched them one by one does. Empty (no tip) for
 * a history of 0 commits: the bench's bundles are then root commits.
 */
final class HeldHistory implements AutoCloseable {
    private static final PersonIdent AUTHOR = new PersonIdent("rhizome bench", "bench@rhizome");
    /** A history commit's file: what the node holds matters (packs, the tree's entries), not its size. */
    private static final int MAX_COMMIT_BYTES = 64 << 10;

    private final Path dir;
    private final List<String> commits;
    private final List<Path> bundles;

    private HeldHistory(Path dir, List<String> commits, List<Path> bundles) {
        this.dir = dir;
        this.commits = commits;
        this.bundles = bundles;
    }

    /** A chain of {@code commits} commits of random bytes (at most 64 KiB each), seeded by {@code seed}. */
    static HeldHistory make(int commits, int bytes, long seed) throws IOException {
        if (commits == 0) {
            return new HeldHistory(null, List.of(), List.of());
        }
        Path dir = Files.createTempDirectory("rhizome-bench-history-");
        List<String> made = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        Random random = new Random(seed);
        try (NodeRepository source = NodeRepository.open(dir.resolve("source.git"))) {
            String parent = null;
            for (int i = 0; i < commits; i++) {
                byte[] noise = new byte[Math.min(bytes, MAX_COMMIT_BYTES)];
                random.nextBytes(noise);
                String commit = source.commitFiles(parent, Map.of("history-" + i + ".bin", noise), "held history " + i, AUTHOR);
                Path file = dir.resolve("history-" + i + ".bundle");
                Files.copy(source.bundle(commit, parent == null ? List.of() : List.of(parent)).path(), file);
                made.add(commit);
                files.add(file);
                parent = commit;
            }
        } catch (IOException | RuntimeException e) {
            LoopbackRun.deleteTree(dir);
            throw e;
        }
        return new HeldHistory(dir, List.copyOf(made), List.copyOf(files));
    }

    /** The commit every injected bundle builds on; null where there is no history. */
    String tip() {
        return commits.isEmpty() ? null : commits.get(commits.size() - 1);
    }

    int size() {
        return commits.size();
    }

    /** The bundle's prerequisites as a holder that knows the asker holds the history makes it. */
    List<String> prerequisites() {
        return commits.isEmpty() ? List.of() : List.of(tip());
    }

    /** Imports the whole chain into {@code repo}, oldest first, one pack a commit. */
    void giveTo(NodeRepository repo) throws IOException {
        for (int i = 0; i < commits.size(); i++) {
            try {
                repo.importBundle(bundles.get(i), commits.get(i), Long.MAX_VALUE);
            } catch (BundleException e) {
                throw new IOException("the bench's own held history was refused: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void close() {
        if (dir != null) {
            LoopbackRun.deleteTree(dir);
        }
    }
}
