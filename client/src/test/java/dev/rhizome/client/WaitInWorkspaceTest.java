package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome wait` without --commit in a claimed workspace, through the real command and
 * coordinator: a newcomer who submitted there and ran `wait` was told only "needs --commit
 * COMMIT". It takes the commit the workspace's claim was submitted with and says so; before the
 * submit it says to submit.
 */
class WaitInWorkspaceTest {
    @TempDir
    Path dir;

    @Test
    void waitInASubmittedWorkspaceTakesItsCommit() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = coordinator.url();
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "tiny", "lr");
            ClaimedWorkspace claimed = ClaimedWorkspace.claim(url, agent, dir.resolve("ws"), "lr");
            Path ws = claimed.ws();
            String unit = claimed.unit();

            CliRun early = CliRun.child(ws, "wait", "--json");
            assertThat(early.code()).as(early.out() + early.err()).isEqualTo(ExitCodes.USAGE);
            JsonObject notYet = early.json();
            assertThat(notYet.get("error").getAsString()).isEqualTo("usage");
            assertThat(notYet.get("option").getAsString()).isEqualTo("--commit");
            assertThat(notYet.get("message").getAsString()).contains("not submitted yet").contains(unit);
            assertThat(notYet.get("hint").getAsString()).contains("rhizome submit --wait");

            String commit = claimed.submitted(seed, "lr", "raise the learning rate");

            CliRun waited = CliRun.child(ws, "wait", "--timeout", "0", "--json");
            assertThat(waited.code()).as(waited.out() + waited.err()).isEqualTo(ExitCodes.TIMED_OUT);
            assertThat(waited.json().get("commit").getAsString()).isEqualTo(commit);
            assertThat(waited.err()).contains("--commit " + commit + " (submitted with this workspace's claim, unit " + unit + ")");

            // outside a workspace it still needs --commit, and a bare word is still its value
            CliRun outside = CliRun.at(url, agent, "wait", "--json");
            assertThat(outside.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(outside.json().get("message").getAsString()).isEqualTo("`rhizome wait` needs --commit COMMIT");
            // an agent that lost its commit id is given the one its data directory submitted last
            String flags = " --data-dir " + Shell.quote(agent) + " --coordinator " + url;
            assertThat(outside.json().get("hint").getAsString()).contains("last submitted " + commit + " on lr (unit "
                    + unit + "): `rhizome wait --commit " + commit + flags + "`")
                    .contains("`rhizome log --direction lr --mine" + flags + "`");
            assertThat(CliRun.at(url, dir.resolve("fresh"), "wait", "--json").json().get("hint").getAsString())
                    .as("nothing submitted there: the one direction open named")
                    .startsWith("`rhizome tree --direction lr --data-dir " + Shell.quote(dir.resolve("fresh"))
                            + " --coordinator " + url + "` shows the commits");
            assertThat(CliRun.at(url, agent, "wait", "abc123", "--json").json().get("hint").getAsString())
                    .contains("`--commit abc123`");
        }
    }
}
