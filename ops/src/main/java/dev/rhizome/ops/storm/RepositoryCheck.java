package dev.rhizome.ops.storm;

import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.git.NodeRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * After a kill storm (ops/storm/killstorm.sh): opens a node's repository the way the node does and
 * reads every commit it holds whole (tree, every file, parent), and lists lock files a killed
 * process left. Exit status 0 when every commit reads and no lock is left, 1 otherwise.
 */
public final class RepositoryCheck {
    private RepositoryCheck() {
    }

    public record Outcome(int commits, List<String> unreadable, List<Path> locks) {
        public boolean ok() {
            return unreadable.isEmpty() && locks.isEmpty();
        }
    }

    public static Outcome check(Path nodeDataDir) throws IOException {
        Path repoDir = new NodeLayout(nodeDataDir).repository();
        List<String> unreadable = new ArrayList<>();
        int commits;
        try (NodeRepository repo = NodeRepository.open(repoDir)) {
            List<String> all = repo.commits();
            commits = all.size();
            for (String commit : all) {
                try {
                    repo.readFiles(commit);
                    repo.parentOf(commit).filter(p -> !repo.has(p))
                            .ifPresent(p -> unreadable.add(commit + ": parent " + p + " is missing"));
                } catch (IOException | RuntimeException e) {
                    unreadable.add(commit + ": " + e);
                }
            }
        }
        List<Path> locks;
        try (Stream<Path> files = Files.walk(repoDir)) {
            locks = files.filter(p -> p.getFileName().toString().endsWith(".lock")).toList();
        }
        return new Outcome(commits, unreadable, locks);
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1 || args[0].startsWith("-")) {
            System.err.println("usage: RepositoryCheck NODE_DATA_DIR (opens its repo.git and reads every commit whole)");
            System.exit(2);
        }
        Outcome o = check(Path.of(args[0]));
        System.out.printf("%s: %d commits, %d unreadable, %d lock files left%n", args[0], o.commits(),
                o.unreadable().size(), o.locks().size());
        o.unreadable().forEach(u -> System.out.println("  unreadable " + u));
        o.locks().forEach(l -> System.out.println("  lock " + l));
        System.exit(o.ok() ? 0 : 1);
    }
}
