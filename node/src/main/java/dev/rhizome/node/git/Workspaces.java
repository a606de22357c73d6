package dev.rhizome.node.git;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /** Creates a non-bare repository at {@code dir} (new or empty) with {@code commit} checked out on {@code branch}. */
    public static void create(NodeRepository repo, String commit, Path dir, String branch) throws IOException {
        if (!repo.has(commit)) {
            throw new IOException("cannot create a workspace at " + commit + ": commit not held");
        }
        if (Files.exists(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException("workspace directory is not empty: " + dir);
                }
            }
        }
        String branchRef = Constants.R_HEADS + branch;
        try (Git git = Git.init().setDirectory(dir.toFile()).setInitialBranch(branch).call()) {
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
}
