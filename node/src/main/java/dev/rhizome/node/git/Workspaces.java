package dev.rhizome.node.git;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.transport.RefSpec;

/**
 * Ordinary git checkouts for agents to edit and commit in. What they commit comes back through
 * {@link NodeRepository#importFrom}, with the same checks as a peer's bundle.
 */
public final class Workspaces {
    private Workspaces() {
    }

    /**
     * Creates a non-bare repository at {@code dir} (new or empty) with {@code commit} checked out on
     * {@code branch}. The checkout is made beside it ({@link #partialOf}) and renamed into place
     * whole: a command killed midway used to leave {@code dir} with an {@code index.lock} and half
     * its files, which the next claim into it refused as not empty; now it leaves only the partial
     * one, which the next create there removes.
     */
    public static void create(NodeRepository repo, String commit, Path dir, String branch) throws IOException {
        if (!repo.has(commit)) {
            throw new IOException("cannot create a workspace at " + commit + ": commit not held");
        }
        requireEmpty(dir);
        Path partial = partialOf(dir);
        try {
            deleteTree(partial);
            checkout(repo, commit, partial, branch);
            // rename(2) replaces an empty directory too; nothing in .git names the path
            Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
            return;
        } catch (IOException e) {
            // an empty dir made beforehand in a parent this user may not write, or a mount point
            // no rename reaches: check out in place, as before (a failure there is told as such)
            try {
                deleteTree(partial);
            } catch (IOException ignored) {
                // nothing of it was made
            }
        }
        // the rename also fails when dir was filled meanwhile (another create into it): in place
        // would have checked out over that one's workspace
        requireEmpty(dir);
        checkout(repo, commit, dir, branch);
    }

    private static void requireEmpty(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException("workspace directory is not empty: " + dir);
                }
            }
        }
    }

    /** Where {@link #create} builds the workspace for {@code dir}: a hidden sibling. */
    static Path partialOf(Path dir) {
        Path absolute = dir.toAbsolutePath().normalize();
        return absolute.resolveSibling("." + absolute.getFileName() + ".rhizome-partial");
    }

    private static void checkout(NodeRepository repo, String commit, Path dir, String branch) throws IOException {
        String branchRef = Constants.R_HEADS + branch;
        try (Git git = Git.init().setDirectory(dir.toFile()).setInitialBranch(branch).call()) {
            // JGit runs an automatic gc after a fetch, on a thread of its own that outlives this
            // call: it wrote .git/gc.log.lock into the partial checkout after its rename, and
            // printed the failed delete's stack trace on the claim's output. In memory only: the
            // agent's own git reads the workspace's config as it was made.
            git.getRepository().getConfig().setBoolean("fetch", null, "autogc", false);
            // A local path fetches in-process through JGit's own upload-pack; no git binary runs.
            git.fetch()
                    .setRemote(repo.repository().getDirectory().getAbsolutePath())
                    .setRefSpecs(new RefSpec(NodeRepository.COMMIT_REFS + commit + ":" + branchRef))
                    .call();
            git.reset().setMode(ResetCommand.ResetType.HARD).setRef(commit).call();
        } catch (GitAPIException | IllegalArgumentException e) {
            throw new IOException("cannot create workspace at " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Removes a tree without following its links (a link inside is removed, not what it names). */
    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
