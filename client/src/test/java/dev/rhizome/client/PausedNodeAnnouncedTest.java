package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.node.work.WorkLoop;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volunteer pauses their node: the coordinator's node list says so within moments, not at the
 * node's next heartbeat, and a waiting client no longer counts it as an idle runner; the resume is
 * heard as soon. The coordinator used to list a paused node as one more idle node. The reporter's
 * 2 s pass announces a change it sees as well, so the test also asks the node which announcement
 * was made at once: without the pause's own, only the pass's would be.
 */
class PausedNodeAnnouncedTest {
    @TempDir
    Path dir;

    @Test
    void aPauseAndAResumeReachTheCoordinatorsNodeList() throws Exception {
        Path nodeDir = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient reader = new CoordinatorClient(coordinator.url(), Identity.generate());
            try (NodeDaemon node = TestNetwork.node(NodeConfig.defaults(nodeDir, coordinator.url()))) {
                Duration started = new LoadScaledBudget(Duration.ofSeconds(10), Duration.ofSeconds(60)).now();
                PeerEndpoint listed = await().atMost(started).until(() -> listed(reader), p -> p != null);
                // "at once" must be told from "at the next heartbeat": the bound stays under the
                // heartbeat period at any load (it was the load-scaled 10-60 s, never less than the
                // period, so a node that waited for its heartbeat passed too)
                Duration soon = new LoadScaledBudget(Duration.ofSeconds(3),
                        Duration.ofMillis(WorkLoop.HEARTBEAT_MS * 3 / 4)).now();
                assertThat(listed.getPaused()).isFalse();
                assertThat(listed.getNotClaiming()).isEmpty();

                Path socket = new NodeLayout(nodeDir).controlSocket();
                assertThat(ControlClient.request(socket, "pause")).contains("\"paused\":true");
                PeerEndpoint paused = await().atMost(soon).until(() -> listed(reader), p -> p != null && p.getPaused());
                assertThat(paused.getNotClaiming()).isEqualTo("paused by its volunteer");
                // the reporter's pass (every 2 s) announces a change it sees too: the pause must also
                // have gone out at once, on its own announcement, which the node marks as such
                await().atMost(soon).until(() -> node.lastAnnouncedAtOnce().map(a -> a.paused()).orElse(false));

                assertThat(ControlClient.request(socket, "resume")).contains("\"paused\":false");
                PeerEndpoint resumed = await().atMost(soon).until(() -> listed(reader), p -> p != null && !p.getPaused());
                assertThat(resumed.getNotClaiming()).isEmpty();
                await().atMost(soon).until(() -> node.lastAnnouncedAtOnce().map(a -> !a.paused()).orElse(false));
            }
        }
    }

    private static PeerEndpoint listed(CoordinatorClient reader) throws Exception {
        return reader.nodes().getPeersList().stream().findFirst().orElse(null);
    }
}
