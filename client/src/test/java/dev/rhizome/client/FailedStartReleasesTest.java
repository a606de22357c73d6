package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.job.JobDirs;
import dev.rhizome.node.job.NodeJobDirs;
import dev.rhizome.protocol.support.NonEphemeralPort;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator or a node that cannot listen (its port taken) fails to start, and leaves nothing
 * held behind in the process: not its store's lock, not the ports and threads it had already
 * opened. A second start on the same data directory, with a free port, then works.
 */
class FailedStartReleasesTest {
    @TempDir
    Path dir;

    @Test
    void aCoordinatorThatCannotListenReleasesItsStore() throws Exception {
        Path data = dir.resolve("coordinator");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> Coordinator.start(CoordinatorConfig.defaults(data).withPort(taken.getLocalPort())))
                    .isInstanceOf(BindException.class);
        }
        try (Coordinator again = Coordinator.start(CoordinatorConfig.defaults(data))) {
            assertThat(again.url()).startsWith("http://127.0.0.1:");
        }
    }

    @Test
    void aNodeThatCannotServeItsMetricsReleasesItsPeerPortAndDataDirectory() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path data = dir.resolve("node");
            // bound by the failed start, then by the second: a port no other test's port-0 socket takes meanwhile
            int peerPort = NonEphemeralPort.find();
            NodeConfig config = NodeConfig.defaults(data, coordinator.url()).withDirection("nothing-here")
                    .withPeerAddress("127.0.0.1", peerPort);
            try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                assertThatThrownBy(() -> TestNetwork.node(config.withMetricsPort(taken.getLocalPort()))).isInstanceOf(BindException.class);
            }
            // The same peer port and data directory: free again.
            try (NodeDaemon again = TestNetwork.node(config)) {
                assertThat(again.identity()).isNotNull();
            }
        }
    }

    /**
     * A node whose start fails while it deletes a killed run's job directory stops that delete, as its stop
     * does: the delete ran on to the process's end, which a failed start is followed by, and left its trash
     * ({@code .<name>.deleting-*}) in the temporary directory. The next start deletes the directory.
     */
    @Test
    void aNodeThatFailsToStartStopsTheDeleteOfAKilledRunsJobDirectories() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path data = dir.resolve("node");
            NodeConfig config = NodeConfig.defaults(data, coordinator.url()).withDirection("nothing-here")
                    .withPeerAddress("127.0.0.1", 0);
            // a killed run's job directory, large enough that its delete is under way when the start fails
            Files.createDirectories(data);
            NodeJobDirs killed = JobDirs.startNode(new NodeLayout(data).jobsName());
            killed.leftoversDeleted().get(60, TimeUnit.SECONDS);
            Path job = killed.next();
            for (int i = 0; i < 5_000; i++) {
                Files.createDirectories(job.resolve("a" + i).resolve("b"));
            }
            try {
                try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                    assertThatThrownBy(() -> TestNetwork.node(config.withMetricsPort(taken.getLocalPort())))
                            .isInstanceOf(BindException.class);
                }
                assertThat(trashOf(job)).as("the leftover's trash once the failed start returned").isEmpty();
                try (NodeDaemon again = TestNetwork.node(config)) {
                    await().atMost(Duration.ofSeconds(120)).until(() -> !Files.exists(job) && trashOf(job).isEmpty());
                }
            } finally {
                JobDirs.deleteTree(job);
                JobDirs.delete(killed.dir());
            }
        }
    }

    private static List<Path> trashOf(Path root) throws java.io.IOException {
        String prefix = "." + root.getFileName() + ".deleting-";
        try (Stream<Path> list = Files.list(root.getParent())) {
            return list.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        }
    }
}
