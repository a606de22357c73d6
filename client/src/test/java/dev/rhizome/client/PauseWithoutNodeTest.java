package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome node pause` with no node running on a data directory a node has used keeps the pause
 * there, so the node's next start (a service manager's, a reboot's) begins paused: it ended in
 * `no_node`, and the node started claiming. `node resume` with none running removes it. On a
 * directory no node has used (a mistyped --data-dir) both still fail `no_node` and write nothing.
 */
class PauseWithoutNodeTest {
    @TempDir
    Path dir;

    @Test
    void aPauseGivenWhileNoNodeRunsPausesItsNextStartAndAResumeUndoesIt() throws Exception {
        Path nodeDir = dir.resolve("node");
        Identity identity = IdentityStore.loadOrCreate(nodeDir);  // a node has used it: its key is there
        Path socket = new NodeLayout(nodeDir).controlSocket();

        JsonObject paused = CliRun.of("node", "pause", "--json", "--data-dir", nodeDir.toString())
                .succeeded("node pause --json").json();
        assertThat(paused.get("running").getAsBoolean()).isFalse();
        assertThat(paused.get("paused").getAsBoolean()).isTrue();
        assertThat(paused.get("kept").getAsBoolean()).isTrue();
        assertThat(paused.get("node_id").getAsString()).isEqualTo(identity.publicId().toString());
        assertThat(new NodeLayout(nodeDir).pauseFile()).exists();
        assertThat(CliRun.of("node", "pause", "--data-dir", nodeDir.toString()).succeeded("node pause").out())
                .contains("no node is running: the pause is kept, and its next start begins paused");

        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            try (NodeDaemon node = TestNetwork.node(NodeConfig.defaults(nodeDir, coordinator.url()))) {
                JsonObject status = answer(socket, "status");
                assertThat(status.get("paused").getAsBoolean()).as("started paused").isTrue();
                assertThat(status.get("paused_since_ms").getAsLong()).isPositive();
                // a running node's answer says it ran
                assertThat(CliRun.of("node", "pause", "--json", "--data-dir", nodeDir.toString())
                        .succeeded("node pause --json").json().get("running").getAsBoolean()).isTrue();
            }

            JsonObject resumed = CliRun.of("node", "resume", "--json", "--data-dir", nodeDir.toString())
                    .succeeded("node resume --json").json();
            assertThat(resumed.get("running").getAsBoolean()).isFalse();
            assertThat(resumed.get("paused").getAsBoolean()).isFalse();
            assertThat(new NodeLayout(nodeDir).pauseFile()).doesNotExist();

            try (NodeDaemon node = TestNetwork.node(NodeConfig.defaults(nodeDir, coordinator.url()))) {
                assertThat(answer(socket, "status").get("paused").getAsBoolean()).as("resumed before its start").isFalse();
            }
        }
    }

    @Test
    void aDirectoryNoNodeHasUsedIsStillNoNodeAndNothingIsWritten() {
        Path typo = dir.resolve("nod");

        CliRun.of("node", "pause", "--json", "--data-dir", typo.toString()).failure(ExitCodes.FAILED, "no_node");
        CliRun.of("node", "resume", "--json", "--data-dir", typo.toString()).failure(ExitCodes.FAILED, "no_node");

        assertThat(new NodeLayout(typo).pauseFile()).doesNotExist();
        assertThat(Files.exists(typo)).isFalse();
    }

    private static JsonObject answer(Path socket, String request) throws Exception {
        return JsonParser.parseString(ControlClient.request(socket, request)).getAsJsonObject();
    }
}
