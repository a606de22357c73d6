package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome node pause` outlasts a restart of the node (a reboot, an upgrade, a service manager
 * restarting it after a crash): it was kept in memory only, and the node came back claiming work
 * its volunteer had stopped. The restarted node says it is paused in `node status --json`, starts no
 * job, and its very first announcement says so (each start binds a port of its own, so the first
 * listing at the new port is that announcement's). `rhizome node resume` ends it for good.
 */
class PauseKeptAcrossRestartTest {
    @TempDir
    Path dir;

    private final Duration soon = new LoadScaledBudget(Duration.ofSeconds(10), Duration.ofSeconds(60)).now();

    @Test
    void aPauseOutlastsARestartAndIsAnnouncedFromItsFirstAnnouncement() throws Exception {
        Path nodeDir = dir.resolve("node");
        Path socket = new NodeLayout(nodeDir).controlSocket();
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient reader = new CoordinatorClient(coordinator.url(), Identity.generate());
            long pausedSince;
            try (NodeDaemon node = TestNetwork.node(NodeConfig.defaults(nodeDir, coordinator.url()))) {
                JsonObject paused = answer(socket, "pause");
                assertThat(paused.get("paused").getAsBoolean()).isTrue();
                assertThat(paused.get("kept").getAsBoolean()).as(paused.toString()).isTrue();
                assertThat(new NodeLayout(nodeDir).pauseFile()).exists();
                pausedSince = answer(socket, "status").get("paused_since_ms").getAsLong();
                assertThat(pausedSince).isPositive();
            }

            try (NodeDaemon node = TestNetwork.node(NodeConfig.defaults(nodeDir, coordinator.url()))) {
                // each start binds a port of its own: the first listing at the new one is the restart's first announcement
                PeerEndpoint listed = await().atMost(soon).until(() -> listed(reader),
                        p -> p != null && (p.getHost() + ":" + p.getPort()).equals(node.announcedAddress()));
                assertThat(listed.getPaused()).as("its first announcement after the restart").isTrue();
                assertThat(listed.getNotClaiming()).isEqualTo("paused by its volunteer");

                JsonObject status = answer(socket, "status");
                assertThat(status.get("paused").getAsBoolean()).isTrue();
                assertThat(status.get("gate").getAsString()).isEqualTo("paused");
                assertThat(status.get("paused_since_ms").getAsLong()).as("the pause's own start, not the restart's")
                        .isEqualTo(pausedSince);
                assertThat(node.loop().runningJobs()).isZero();

                JsonObject resumed = answer(socket, "resume");
                assertThat(resumed.get("kept").getAsBoolean()).isTrue();
                assertThat(new NodeLayout(nodeDir).pauseFile()).doesNotExist();
                assertThat(answer(socket, "status").get("paused_since_ms").isJsonNull()).isTrue();
            }

            try (NodeDaemon node = TestNetwork.node(NodeConfig.defaults(nodeDir, coordinator.url()))) {
                PeerEndpoint listed = await().atMost(soon).until(() -> listed(reader),
                        p -> p != null && (p.getHost() + ":" + p.getPort()).equals(node.announcedAddress()));
                assertThat(listed.getPaused()).as("resumed before the restart: it claims").isFalse();
                assertThat(answer(socket, "status").get("paused").getAsBoolean()).isFalse();
            }
        }
    }

    private static JsonObject answer(Path socket, String request) throws Exception {
        return JsonParser.parseString(ControlClient.request(socket, request)).getAsJsonObject();
    }

    private static PeerEndpoint listed(CoordinatorClient reader) throws Exception {
        return reader.nodes().getPeersList().stream().findFirst().orElse(null);
    }
}
