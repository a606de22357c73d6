package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerList;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * GET /v1/nodes: the gossip network's entry points, newest first, capped and without stale nodes;
 * and the nodes of keys that stopped announcing are forgotten, so their rows do not grow for good.
 */
class NodesRouteTest extends OnEachStore {
    private Harness harness() throws Exception {
        return open(Fixtures.manifest(1, 0.01), ApiClient.Format.JSON, CoordinatorLimits.defaults());
    }

    @Test
    void listsRecentlyAnnouncedNodesNewestFirstAndForgetsSilentOnes() throws Exception {
        Harness h = harness();
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

    @Test
    void nodesSilentForAWeekAreForgottenWithTheirCommitsAndMayComeBackAsNew() throws Exception {
        Harness h = harness();
        String commit = Fixtures.commit();
        Identity gone = Identity.generate();
        announce(h, gone, 7000, commit);
        h.clock.advance(Duration.ofDays(6));
        Identity quiet = Identity.generate();
        announce(h, quiet, 7001, commit);
        h.clock.advance(Duration.ofDays(1).plusMinutes(1));
        Identity live = Identity.generate();
        announce(h, live, 7002, commit);

        // the sweep runs every second on the coordinator's clock
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(listed(h, "/v1/peers"))
                .containsExactly(live.publicId().toByteString(), quiet.publicId().toByteString()));
        assertThat(listed(h, "/v1/peers?commit=" + commit))
                .containsExactly(live.publicId().toByteString(), quiet.publicId().toByteString());

        h.clock.advance(Duration.ofSeconds(1));  // seen after the live one: listed first
        assertThat(announce(h, gone, 7000, commit)).as("a new node again").startsWith("announced");
        assertThat(listed(h, "/v1/peers?commit=" + commit)).first().isEqualTo(gone.publicId().toByteString());
    }

    private static List<ByteString> listed(Harness h, String path) {
        return h.api.get(path, PeerList.newBuilder()).getPeersList().stream().map(PeerEndpoint::getNode).toList();
    }

    private static String announce(Harness h, Identity node, int port, String... commits) {
        return h.api.signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("127.0.0.1").setPort(port).addAllCommits(List.of(commits))
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build()).ack().getMessage();
    }
}
