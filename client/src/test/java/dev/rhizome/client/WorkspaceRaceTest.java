package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.WorkspaceLock;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two terminals claiming into one new workspace: both found it empty, both leased a unit, and the
 * second checked out over the first, both answering success. A claim filling a workspace holds it;
 * another claim into it is refused before it asks the coordinator for anything.
 */
class WorkspaceRaceTest {
    @TempDir
    Path dir;

    @Test
    void aSecondClaimIntoAWorkspaceBeingFilledIsRefusedBeforeLeasing() throws Exception {
        Path ws = dir.resolve("ws");
        // the coordinator is never asked: were it, this one would answer "unreachable" (exit 5)
        String[] claim = {"claim", "--direction", "d", "--workspace", ws.toString(), "--data-dir",
            dir.resolve("agent").toString(), "--coordinator", "http://127.0.0.1:1", "--json"};
        try (WorkspaceLock filling = WorkspaceLock.take(ws, FollowUp.BARE)) {
            JsonObject refused = CliRun.of(claim).failure(ExitCodes.USAGE, "workspace_in_use",
                    "is being filled by another `rhizome claim`");
            assertThat(refused.get("option").getAsString()).isEqualTo("--workspace");
            // the submit it offers runs as printed: it names the data directory and coordinator in use
            assertThat(refused.get("hint").getAsString()).contains("`rhizome submit --workspace " + ws.toAbsolutePath()
                    + " --data-dir " + dir.resolve("agent").toAbsolutePath() + " --coordinator http://127.0.0.1:1`");
            assertThat(Files.exists(ws)).as("nothing made in the workspace").isFalse();
        }
        // once that claim has ended, the workspace is free again
        assertThat(CliRun.of(claim).code()).isEqualTo(ExitCodes.UNREACHABLE);
    }
}
