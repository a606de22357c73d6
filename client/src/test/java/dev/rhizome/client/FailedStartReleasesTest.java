package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.protocol.support.NonEphemeralPort;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
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
}
