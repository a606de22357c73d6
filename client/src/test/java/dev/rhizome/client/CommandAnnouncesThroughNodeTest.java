package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.client.cli.Announce;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeEndpoint;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.hardware.HardwareProbe;
import dev.rhizome.node.prefs.KeptPause;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome submit` and `rhizome seed publish` add commits to a node's repository and announce them
 * before they register them. They announced under the node's key themselves, classless and
 * claiming, and a paused node read as claiming (and of no class) on /v1/nodes, the dashboard and
 * the coordinator's draws until its next heartbeat. Now the node announces itself, through its
 * control socket; where no node answers, the command announces what it can know: the class this
 * machine's probe gives and the pause the data directory keeps.
 */
class CommandAnnouncesThroughNodeTest {
    @TempDir
    Path dir;

    private final Duration soon = new LoadScaledBudget(Duration.ofSeconds(10), Duration.ofSeconds(60)).now();

    @Test
    void aPausedNodeStaysPausedAndClassedWhenACommandAnnouncesItsNewCommit() throws Exception {
        Path nodeDir = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient reader = new CoordinatorClient(coordinator.url(), Identity.generate());
            try (NodeDaemon node = TestNetwork.node(NodeConfig.defaults(nodeDir, coordinator.url()))) {
                await().atMost(soon).until(() -> listed(reader), p -> p != null);
                Path socket = new NodeLayout(nodeDir).controlSocket();
                ControlClient.request(socket, "pause");
                await().atMost(soon).until(() -> listed(reader), p -> p != null && p.getPaused());

                // what submit does: a commit into the node's repository, announced, then registered at once
                String commit = TestNetwork.seedInto(nodeDir, TestNetwork.slowSeed(1, 1));
                CoordinatorClient command = new CoordinatorClient(coordinator.url(), IdentityStore.loadOrCreate(nodeDir));
                NodeEndpoint endpoint = NodeEndpoint.ofRunningNode(nodeDir).orElseThrow();
                try (NodeRepository repo = NodeRepository.open(new NodeLayout(nodeDir).repository())) {
                    Announce.inventory(command, repo, endpoint, nodeDir);
                }
                assertThat(reader.peers(commit).getPeersList()).as("announced before the command goes on")
                        .extracting(PeerEndpoint::getNode).containsExactly(node.identity().publicId().toByteString());
                PeerEndpoint listed = listed(reader);
                assertThat(listed.getPaused()).as("the node's own word: still paused").isTrue();
                assertThat(listed.getNotClaiming()).isEqualTo("paused by its volunteer");
                assertThat(listed.getHardwareClass()).isEqualTo(HardwareProbe.probe().hardwareClass()).isNotEmpty();
            }
        }
    }

    @Test
    void theNodesAnswerSaysWhatItAnnouncedAndWhetherTheCoordinatorTookIt() throws Exception {
        Path nodeDir = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
                NodeDaemon node = TestNetwork.node(NodeConfig.defaults(nodeDir, coordinator.url()))) {
            JsonObject told = JsonParser.parseString(ControlClient.request(node.controlSocket(), "announce"))
                    .getAsJsonObject();
            assertThat(told.get("announced").getAsBoolean()).as(told.toString()).isTrue();
            assertThat(told.get("node").getAsString()).isEqualTo(node.identity().publicId().toString());
            assertThat(told.get("coordinator").getAsString()).isEqualTo(coordinator.url());
            assertThat(told.get("hardware_class").getAsString()).isEqualTo(HardwareProbe.probe().hardwareClass());
            assertThat(told.get("paused").getAsBoolean()).isFalse();
            assertThat(told.get("problem").isJsonNull()).isTrue();
        }
    }

    @Test
    void aNodeWorkingForAnotherCoordinatorIsAnnouncedThereAsClaimingElsewhere() throws Exception {
        Path nodeDir = dir.resolve("node");
        try (Coordinator ours = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("ours")));
                Coordinator other = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("other")));
                NodeDaemon node = TestNetwork.node(NodeConfig.defaults(nodeDir, ours.url()))) {
            CoordinatorClient otherReader = new CoordinatorClient(other.url(), Identity.generate());
            CoordinatorClient command = new CoordinatorClient(other.url(), IdentityStore.loadOrCreate(nodeDir));
            try (NodeRepository repo = NodeRepository.open(new NodeLayout(nodeDir).repository())) {
                Announce.inventory(command, repo, NodeEndpoint.ofRunningNode(nodeDir).orElseThrow(), nodeDir);
            }
            PeerEndpoint listed = listed(otherReader);
            assertThat(listed.getNode()).isEqualTo(node.identity().publicId().toByteString());
            assertThat(listed.getHardwareClass()).isEqualTo(HardwareProbe.probe().hardwareClass());
            assertThat(listed.getPaused()).isFalse();
            assertThat(listed.getNotClaiming()).as("it claims from its own coordinator, not this one")
                    .isEqualTo("claims work from another coordinator");
        }
    }

    @Test
    void whereNoNodeAnswersTheCommandAnnouncesTheKeptPauseAndThisMachinesClass() throws Exception {
        Path nodeDir = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient reader = new CoordinatorClient(coordinator.url(), Identity.generate());
            Identity key = IdentityStore.loadOrCreate(nodeDir);
            KeptPause.keep(nodeDir, System.currentTimeMillis());  // paused before its node stopped
            CoordinatorClient command = new CoordinatorClient(coordinator.url(), key);
            try (NodeRepository repo = NodeRepository.open(new NodeLayout(nodeDir).repository())) {
                // an endpoint whose node has no control socket: it does not answer
                Announce.inventory(command, repo, new NodeEndpoint(key.publicId().toString(), "127.0.0.1", 7000,
                        ProcessHandle.current().pid()), nodeDir);
            }
            PeerEndpoint listed = listed(reader);
            assertThat(listed.getPaused()).isTrue();
            assertThat(listed.getNotClaiming()).isEqualTo("paused by its volunteer");
            assertThat(listed.getHardwareClass()).isEqualTo(HardwareProbe.probe().hardwareClass()).isNotEmpty();
        }
    }

    private static PeerEndpoint listed(CoordinatorClient reader) throws Exception {
        return reader.nodes().getPeersList().stream().findFirst().orElse(null);
    }
}
