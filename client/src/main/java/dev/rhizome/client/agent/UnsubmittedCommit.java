package dev.rhizome.client.agent;

import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.client.cli.WorkspaceClaim;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Says what a commit the coordinator has never registered is, when it is one of the user's own:
 * a commit of the git checkout the command runs in that was never submitted. `rhizome wait
 * --commit` on such a commit said only "no registered commit ... list the direction's commits
 * with `rhizome tree`", and a newcomer who had committed and forgotten `rhizome submit` (or
 * whose submit failed) could not tell from it that the step missing was theirs.
 */
public final class UnsubmittedCommit {
    private UnsubmittedCommit() {
    }

    /**
     * {@code unknown} (an {@code unknown_commit} error about {@code id}) with its message and hint
     * naming the remedy when the working directory's checkout holds {@code id}; {@code unknown}
     * itself otherwise. The error, exit status and option stay the same: only the words change.
     */
    public static CommandException explain(CommandException unknown, String id, FollowUp where) {
        if (!"unknown_commit".equals(unknown.error())) {
            return unknown;
        }
        Optional<Path> checkout = WorkspaceClaim.enclosingCheckout();
        if (checkout.isEmpty()) {
            return unknown;
        }
        Optional<String> full = resolve(checkout.get(), id);
        if (full.isEmpty()) {
            return unknown;
        }
        boolean claimed = WorkspaceClaim.read(checkout.get()).isPresent();
        String checkoutWord = Shell.quote(checkout.get());
        String hint = claimed
                ? "submit it first: `" + where.command("submit --workspace " + checkoutWord + " --wait")
                        + "` (with HEAD at that commit); `rhizome wait` follows only commits `rhizome submit` registered"
                : "submit it from a workspace `rhizome claim --workspace` made (`" + where.command("submit")
                        + "` run in it); "
                        + "`rhizome wait` follows only commits `rhizome submit` registered";
        return new CommandException(unknown.exitCode(), unknown.error(), unknown.getMessage() + ": "
                + full.get() + " is a commit of " + checkoutWord + " that was never submitted", hint, unknown.option());
    }

    /** The full id of {@code id} (a full id or a prefix) in the checkout at {@code dir}, if it is a commit there. */
    static Optional<String> resolve(Path dir, String id) {
        try (Repository repo = new FileRepositoryBuilder().setGitDir(dir.resolve(".git").toFile())
                .setMustExist(true).build()) {
            ObjectId found = repo.resolve(id.toLowerCase(java.util.Locale.ROOT) + "^{commit}");
            return Optional.ofNullable(found).map(ObjectId::name);
        } catch (IOException | RuntimeException e) {
            // not a repository, an ambiguous prefix, an unreadable object: nothing to add
            return Optional.empty();
        }
    }
}
