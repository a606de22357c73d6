package dev.rhizome.node.git;

import dev.rhizome.node.job.JobText;
import dev.rhizome.protocol.CommitId;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * A held commit's files written into a new directory for a job ({@link NodeRepository#checkout}):
 * a stranger's tree, so bounded before anything is written, and regular files only, each inside
 * the directory.
 */
final class CommitCheckout {
    private final Repository repository;
    private final CommitRefs refs;

    CommitCheckout(Repository repository, CommitRefs refs) {
        this.repository = repository;
        this.refs = refs;
    }

    /**
     * As {@link NodeRepository#checkout(String, Path)}, but refuses ({@link CheckoutTooLargeException}), before
     * writing anything, a commit with more than {@code maxFiles} files or more than {@code maxBytes}
     * of them: a bundle of a few MiB can hold a blob that inflates to gigabytes (zlib, deltas) and a
     * tree naming it thousands of times, so what a checkout writes is not bounded by what was fetched.
     * The sizes are the objects' headers, read without inflating them.
     */
    void write(String commit, Path dir, long maxBytes, int maxFiles) throws IOException {
        long bytes = 0;
        int files = 0;
        try (RevWalk walk = new RevWalk(repository); TreeWalk tree = new TreeWalk(repository);
                ObjectReader reader = repository.newObjectReader()) {
            tree.addTree(walk.parseCommit(refs.requireHeld(commit)).getTree());
            tree.setRecursive(true);
            while (tree.next()) {
                if (++files > maxFiles) {
                    throw new CheckoutTooLargeException("commit " + CommitId.abbreviate(commit) + " has more than "
                            + maxFiles + " files, more than this node gives a job");
                }
                checkWritable(commit, tree);
                if (isFile(tree.getFileMode(0))) {
                    bytes += reader.getObjectSize(tree.getObjectId(0), Constants.OBJ_BLOB);
                    if (bytes > maxBytes) {
                        throw new CheckoutTooLargeException("commit " + CommitId.abbreviate(commit)
                                + "'s files take more than " + (maxBytes >> 20) + " MiB, more than this node can give a job now");
                    }
                }
            }
        }
        Path root = dir.toAbsolutePath().normalize();
        if (Files.exists(root)) {
            try (Stream<Path> entries = Files.list(root)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException("checkout directory is not empty: " + root);
                }
            }
        }
        Files.createDirectories(root);
        try (RevWalk walk = new RevWalk(repository); TreeWalk tree = new TreeWalk(repository)) {
            tree.addTree(walk.parseCommit(refs.requireHeld(commit)).getTree());
            tree.setRecursive(true);
            while (tree.next()) {
                FileMode mode = tree.getFileMode(0);
                String path = tree.getPathString();
                Path target = root.resolve(path).normalize();
                if (!target.startsWith(root)) {
                    throw new IOException("path escapes the checkout: " + shown(path));
                }
                Files.createDirectories(target.getParent());
                try (OutputStream out = Files.newOutputStream(target)) {
                    repository.open(tree.getObjectId(0), Constants.OBJ_BLOB).copyTo(out);
                }
                if (mode == FileMode.EXECUTABLE_FILE && !target.toFile().setExecutable(true, false)) {
                    throw new IOException("cannot make " + target + " executable");
                }
            }
        }
    }

    /**
     * Refuses, before a checkout writes anything, an entry it must not write: a symbolic link or a
     * submodule, a path {@link GitPaths} refuses, or one longer than {@link TreeNames#MAX_PATH_BYTES}
     * (an import refuses each of these; a tree held from before, or reused deeper in a later
     * commit, is caught here).
     */
    private static void checkWritable(String commit, TreeWalk tree) throws IOException {
        FileMode mode = tree.getFileMode(0);
        String path = tree.getPathString();
        if (!isFile(mode)) {
            throw new IOException("commit " + CommitId.abbreviate(commit) + " has a "
                    + (mode == FileMode.SYMLINK ? "symbolic link" : "submodule") + " at " + shown(path)
                    + "; only regular files can be checked out");
        }
        if (tree.getPathLength() > TreeNames.MAX_PATH_BYTES) {
            throw new IOException("commit " + CommitId.abbreviate(commit) + " has a path of " + tree.getPathLength()
                    + " bytes (at most " + TreeNames.MAX_PATH_BYTES + "): " + shown(path));
        }
        try {
            GitPaths.requireSafe(path);
        } catch (IllegalArgumentException e) {
            throw new IOException("commit " + CommitId.abbreviate(commit) + ": " + e.getMessage(), e);
        }
    }

    /** A path of a stranger's tree, for a message that reaches the volunteer's terminal: {@link dev.rhizome.node.job.JobText}. */
    private static String shown(String path) {
        return "'" + JobText.printable(path, 300) + "'";
    }

    static boolean isFile(FileMode mode) {
        return mode == FileMode.REGULAR_FILE || mode == FileMode.EXECUTABLE_FILE;
    }
}
