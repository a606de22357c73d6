package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerList;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /v1/nodes: the gossip network's entry points, newest first, capped and without stale nodes. */
class NodesRouteTest {
    @TempDir
    Path dataDir;

    @Test
    void listsRecentlyAnnouncedNodesNewestFirstAndForgetsSilentOnes() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON)) {
            Identity stale = Identity.generate();
            announce(h, stale, 7000);
            h.clock.advance(Duration.ofMinutes(11));

            List<Identity> fresh = new ArrayList<>();
            for (int i = 0; i < 70; i++) {
                Identity node = Identity.generate();
                announce(h, node, 7001 + i);
                fresh.add(node);
                h.clock.advance(Duration.ofMillis(10));
            }

            List<PeerEndpoint> nodes = h.api.get("/v1/nodes", PeerList.newBuilder()).getPeersList();
            assertThat(nodes).hasSize(64);
            assertThat(nodes.get(0).getNode()).isEqualTo(fresh.get(69).publicId().toByteString());
            assertThat(nodes.get(0).getPort()).isEqualTo(7070);
            assertThat(nodes.get(63).getNode()).isEqualTo(fresh.get(6).publicId().toByteString());
            assertThat(nodes).noneMatch(p -> p.getNode().equals(stale.publicId().toByteString()));
        }
    }

    private static void announce(Harness h, Identity node, int port) {
        h.api.signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("127.0.0.1").setPort(port)
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build()).ack();
    }
}
