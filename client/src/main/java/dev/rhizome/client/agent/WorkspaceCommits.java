package dev.rhizome.client.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

/**
 * The commits of an agent's workspace, read as the seed's rules need them, before `submit` imports
 * anything into a node's repository: an agent hears about its own mistake (a file the seed does not
 * let it change) before it hears that no node is running.
 */
final class WorkspaceCommits implements AutoCloseable {
    private final Repository repository;

    private WorkspaceCommits(Repository repository) {
        this.repository = repository;
    }

    /** The workspace's repository, or empty when it does not hold {@code seedCommit} (not a claim's checkout). */
    static Optional<WorkspaceCommits> holding(Path workspace, String seedCommit) throws IOException {
        Repository repository = new FileRepositoryBuilder().findGitDir(workspace.toAbsolutePath().toFile()).build();
        ObjectId seed = ObjectId.fromString(seedCommit);
        if (!repository.getObjectDatabase().has(seed)) {
            repository.close();
            return Optional.empty();
        }
        return Optional.of(new WorkspaceCommits(repository));
    }

    /** Paths whose content or mode differ between the two commits' trees (added and deleted included). */
    Set<String> changedPaths(String from, String to) throws IOException {
        Set<String> paths = new TreeSet<>();
        try (RevWalk walk = new RevWalk(repository); TreeWalk tree = new TreeWalk(repository)) {
            tree.addTree(walk.parseCommit(ObjectId.fromString(from)).getTree());
            tree.addTree(walk.parseCommit(ObjectId.fromString(to)).getTree());
            tree.setRecursive(true);
            tree.setFilter(TreeFilter.ANY_DIFF);
            while (tree.next()) {
                paths.add(tree.getPathString());
            }
        }
        return paths;
    }

    /** The file's bytes at {@code commit}; empty when it is absent or not a file (a link, a submodule). */
    Optional<byte[]> readFile(String commit, String path) throws IOException {
        try (RevWalk walk = new RevWalk(repository);
                TreeWalk tree = TreeWalk.forPath(repository, path, walk.parseCommit(ObjectId.fromString(commit)).getTree())) {
            if (tree == null || (tree.getFileMode(0).getBits() & FileMode.TYPE_MASK) != FileMode.TYPE_FILE) {
                return Optional.empty();
            }
            return Optional.of(repository.open(tree.getObjectId(0), Constants.OBJ_BLOB).getBytes());
        }
    }

    @Override
    public void close() {
        repository.close();
    }
}
