package dev.rhizome.client.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.ObjectId;

/**
 * Whether a claim's workspace holds commits on top of the unit's commit, for hints that tell an
 * agent what to do with its work: "what you committed can still be submitted" was said to an agent
 * that had committed nothing, which then ran a claim and a submit only to meet
 * {@code nothing_to_submit}. Read with JGit; anything unreadable is {@link #UNKNOWN}, never a guess.
 */
public enum WorkspaceProgress {
    /** HEAD is a commit on top of (or beside) the unit's commit. */
    COMMITTED,
    /** HEAD is still the unit's commit: nothing to submit yet (changes may be uncommitted). */
    NOTHING_COMMITTED,
    /** No workspace named, or not a readable git workspace. */
    UNKNOWN;

    /** What {@code workspace} (null: not known) holds past {@code unitCommit}. */
    public static WorkspaceProgress of(Path workspace, String unitCommit) {
        if (workspace == null || !Files.isDirectory(workspace.resolve(".git"))) {
            return UNKNOWN;
        }
        try (Git git = Git.open(workspace.toFile())) {
            ObjectId head = git.getRepository().resolve("HEAD");
            if (head == null) {
                return UNKNOWN;
            }
            return head.name().equals(unitCommit) ? NOTHING_COMMITTED : COMMITTED;
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
    }
}
