package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Steps a newcomer following the README took in the wrong order or place (newuser22, by hand on
 * loopback): `rhizome submit` from a subdirectory of the workspace, `rhizome wait` on a commit
 * made and never submitted, `rhizome claim` without `--workspace`. Each does what the user meant
 * or says what is missing and what to type. (The submit stops at "no node is serving": starting
 * one is more than this test needs to show that the workspace was found.)
 */
class NewcomerStepsTest {
    @TempDir
    Path dir;

    @Test
    void waitOnACommitNeverSubmittedSaysSoAndSubmitWorksFromASubdirectoryOfTheWorkspace() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path node = dir.resolve("node");  // holds the seed's commits: the claim checks out from it
            CliRun.openDirection(c.url(), dir.resolve("op"), node, "d");
            Path ws = dir.resolve("ws");
            CliRun claim = CliRun.of("claim", "--direction", "d", "--workspace", ws.toString(), "--json",
                    "--coordinator", c.url(), "--data-dir", node.toString());
            assertThat(claim.code()).as(claim.err()).isZero();
            // the lease's end and what extends it, up front: a hand claim is renewed by nothing else
            String unitId = claim.json().getAsJsonObject("unit").get("id").getAsString();
            String renew = claim.json().get("renew_command").getAsString();
            assertThat(renew).startsWith("rhizome renew --unit " + unitId + " ");
            // as copied, from anywhere: the claim's key and the coordinator that leased it
            assertThat(CliRun.flagValue(renew, "--data-dir")).isEqualTo(node.toString());
            assertThat(CliRun.flagValue(renew, "--coordinator")).isEqualTo(c.url());
            String commit;
            try (Git git = Git.open(ws.toFile())) {
                Files.writeString(ws.resolve("config.properties"), "x=2\n");
                commit = git.commit().setAll(true).setMessage("x=2").setAuthor("a", "a@example.org")
                        .setCommitter("a", "a@example.org").call().getName();
            }
            Path sub = Files.createDirectories(ws.resolve("notes"));  // where the agent's shell was left

            // it said "no registered commit starts with ...; list the direction's commits with `rhizome tree`"
            JsonObject unsubmitted = CliRun.child(sub, "wait", "--commit", commit.substring(0, 8), "--json")
                    .failure(ExitCodes.USAGE, "unknown_commit", "never submitted");
            assertThat(unsubmitted.get("message").getAsString()).contains(commit).contains(ws.toAbsolutePath().toString());
            assertThat(unsubmitted.get("hint").getAsString()).contains("rhizome submit --workspace");
            assertThat(unsubmitted.get("option").getAsString()).isEqualTo("--commit");

            // it said "--unit is missing, and .../notes is not a workspace made by `rhizome claim --workspace`"
            // now it finds the workspace above and its claim: the unit, and the data directory whose
            // node must serve the commit (none runs here, which is the next thing it says)
            CliRun submit = CliRun.child(sub, "submit", "--json");
            JsonObject noNode = submit.json();
            assertThat(noNode.get("error").getAsString()).as(noNode.toString()).isEqualTo("no_node");
            assertThat(noNode.get("message").getAsString()).contains(node.toString());
            assertThat(submit.code()).isNotEqualTo(ExitCodes.USAGE);
        }
    }

    @Test
    void aClaimWithoutAWorkspaceSaysNothingWasCheckedOutAndWhatToDo() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            CliRun claim = CliRun.of("claim", "--direction", "d", "--coordinator", c.url(),
                    "--data-dir", dir.resolve("agent").toString());
            assertThat(claim.code()).as(claim.err()).isZero();
            String unit = claim.lines().get(0).replaceAll(".*unit (\\S+) on.*", "$1");
            assertThat(claim.out()).contains("no workspace: nothing was checked out")
                    .contains("rhizome unclaim --unit " + unit).contains("`rhizome submit --unit " + unit + " --data-dir ")
                    .doesNotContain("--workspace DIR");
            assertThat(claim.lines().get(1)).contains("nothing renews a hand claim")
                    .contains("`rhizome renew --unit " + unit + " --data-dir ");
        }
    }
}
