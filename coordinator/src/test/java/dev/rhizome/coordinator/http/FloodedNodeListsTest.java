package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What a node is told over /v1 while one network floods the coordinator with fresh keys (behind a
 * listed proxy, so each announcement comes from the address it names): a joining node's entry
 * points and a commit's holders are still mostly the honest nodes of other networks. Until round
 * 28 both lists were the nodes seen last, so a joining node met only the flood's keys and a
 * commit's listed holders were all keys that serve nothing.
 */
class FloodedNodeListsTest extends OnEachStore {
    @Test
    void aFloodOfFreshKeysFromOneNetworkTakesAFewPlacesInWhatANodeIsTold() throws Exception {
        h = Harness.on(store, dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON, CoordinatorLimits.defaults(),
                c -> c.withTrustedProxies(List.of("127.0.0.1")));
        String commit = Fixtures.commit();
        Set<ByteString> honest = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            honest.add(announce("93.184." + i + ".20", commit));
        }
        h.clock.advance(Duration.ofSeconds(1));
        Set<ByteString> flood = new HashSet<>();
        for (int i = 0; i < 120; i++) {
            flood.add(announce("81.2.69." + (i % 8 + 1), commit));
            h.clock.advance(Duration.ofMillis(10));
        }

        List<ByteString> entryPoints = listed("/v1/nodes");
        assertThat(entryPoints).containsAll(honest);
        assertThat(entryPoints).filteredOn(flood::contains).as("one network's share of 64").hasSize(4);
        List<ByteString> holders = listed("/v1/peers?commit=" + commit);
        assertThat(holders).containsAll(honest);
        assertThat(holders).filteredOn(flood::contains).as("one network's share of 100").hasSize(6);
    }

    @Test
    void sixteenNetworksOfFreshKeysDoNotListTheVolunteersOfOthersOut() throws Exception {
        h = Harness.on(store, dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON, CoordinatorLimits.defaults(),
                c -> c.withTrustedProxies(List.of("127.0.0.1")));
        String commit = Fixtures.commit();
        Set<ByteString> honest = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            honest.add(announce("93.184." + i + ".20", commit));
        }
        h.clock.advance(Duration.ofSeconds(1));
        // 16 /24s (a few cloud machines), 5 keys each, all announcing after the volunteers: until
        // round 29 their 4 newest each took all 64 entry points and no volunteer was listed
        Set<ByteString> flood = new HashSet<>();
        for (int i = 0; i < 80; i++) {
            flood.add(announce("81.2." + (i % 16 + 1) + ".5", commit));
            h.clock.advance(Duration.ofMillis(10));
        }
        List<ByteString> entryPoints = listed("/v1/nodes");
        assertThat(entryPoints).hasSize(64).containsAll(honest);
        assertThat(entryPoints.subList(0, 26)).as("one place per network before any second").containsAll(honest);
        assertThat(listed("/v1/peers?commit=" + commit)).containsAll(honest);
    }

    /** One client per address: each holds its connections open, and an address's are capped. */
    private final Map<String, ApiClient> clients = new HashMap<>();

    private ByteString announce(String address, String commit) {
        Identity node = Identity.generate();
        String ack = clients.computeIfAbsent(address, h.api::from).signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost(address).setPort(7000).addCommits(commit)
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build()).ack().getMessage();
        assertThat(ack).startsWith("announced");
        return node.publicId().toByteString();
    }

    private List<ByteString> listed(String path) {
        return h.api.get(path, PeerList.newBuilder()).getPeersList().stream().map(PeerEndpoint::getNode).toList();
    }
}
