package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.protocol.files.SmallDisk;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node restarted on a full disk starts, claims nothing, and says why. */
class FullDiskNodeTest {
    @TempDir
    Path dir;

    @Test
    void aNodeRestartedOnAFullDiskStartsAndWaitsForRoom() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(32);
                Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            NodeConfig config = NodeConfig.defaults(disk.root().resolve("node"), coordinator.url())
                    .withDirection("nothing-here").withPeerAddress("127.0.0.1", 0);
            try (NodeDaemon first = TestNetwork.node(config)) {
                assertThat(first.identity()).isNotNull();
            }
            disk.fill();
            try (NodeDaemon again = TestNetwork.node(config)) {
                assertThat(again.identity()).isNotNull();
            }
        }
    }
}
