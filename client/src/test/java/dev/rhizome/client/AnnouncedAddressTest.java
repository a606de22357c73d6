package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.support.LoopbackProxy;
import dev.rhizome.coordinator.support.PrometheusText;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeEndpoint;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.peer.DialAddress;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.ops.bench.ShortJobs;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.support.NonEphemeralPort;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volunteer behind a NAT: its node listens on one address and peers reach it only at another,
 * which a router forwards to the first (here a relay on loopback). With that address announced
 * ({@code --announce}), the coordinator lists the node there, and a second node fetches the
 * commits its jobs need from it through the relay; the node never binds the announced address.
 */
class AnnouncedAddressTest {
    @TempDir
    Path dir;

    @Test
    void aPeerFetchesFromANodeAtTheAddressItAnnouncesThroughTheForwarderToTheOneItBinds() throws Exception {
        SortedMap<String, byte[]> files = ShortJobs.seed("short", 2, 0.05, 60);
        int bound = freePort();
        AtomicInteger connections = new AtomicInteger();
        AtomicLong toPeers = new AtomicLong();
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
             LoopbackProxy router = new LoopbackProxy("nat-forward", "127.0.0.1", bound, (client, upstream) -> {
                 connections.incrementAndGet();
                 return new LoopbackProxy.Directions((buf, n) -> true, (buf, n) -> {
                     toPeers.addAndGet(n);
                     return true;
                 });
             })) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Path holderDir = dir.resolve("holder");
            Seed seed;
            List<String> commits;
            try (NodeRepository repo = NodeRepository.open(new NodeLayout(holderDir).repository())) {
                seed = SeedPublisher.publish(repo, files, operator, Clock.systemUTC());
                commits = ShortJobs.commits(repo, seed.getCommit(), 1);
            }
            DialAddress announced = new DialAddress("127.0.0.1", router.port());
            try (NodeDaemon holder = TestNetwork.node(NodeConfig.defaults(holderDir, coordinator.url())
                    .withDirection("nothing-here").withPeerAddress("127.0.0.1", bound).withAnnounce(announced)
                    .withMetricsPort(0))) {
                assertThat(holder.peerPort()).as("it binds --peer-port, not the announced port").isEqualTo(bound);
                assertThat(holder.announcedAddress()).isEqualTo("127.0.0.1:" + router.port());
                // commands sharing its data directory (seed publish, submit) announce the same address for it
                assertThat(NodeEndpoint.ofRunningNode(holderDir)).hasValueSatisfying(e ->
                        assertThat(e.port()).isEqualTo(router.port()));
                ByteString holderId = holder.identity().publicId().toByteString();
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(operator.peers(seed.getCommit())
                        .getPeersList()).filteredOn(p -> p.getNode().equals(holderId))
                        .extracting(PeerEndpoint::getPort).containsExactly(router.port()));

                try (NodeDaemon runner = TestNetwork.node(NodeConfig.defaults(dir.resolve("runner"), coordinator.url())
                        .withDirection("d"))) {
                    operator.openDirection(ShortJobs.direction(operator, seed, "d"));
                    ShortJobs.register(operator, seed, "d", commits);
                    int units = commits.size() + 1; // and the direction's baseline
                    await().atMost(Duration.ofSeconds(120)).untilAsserted(() ->
                            assertThat(SignedResults.check(operator.results("d", null).getEnvelopesList()).valid())
                                    .hasSizeGreaterThanOrEqualTo(units));
                    assertThat(connections.get()).as("peers dialled the announced address").isPositive();
                    // the runner knew the holder only by its announced address: every bundle byte it was
                    // served came through the forwarder
                    double served = served(holder.metricsPort().orElseThrow());
                    assertThat(served).as("bundle bytes the holder served").isPositive();
                    assertThat((double) toPeers.get()).as("bytes through the forwarder").isGreaterThanOrEqualTo(served);
                }
            }
        }
    }

    private static double served(int metricsPort) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        return PrometheusText.parse(response.body()).value("rhizome_node_bytes_served_total", Map.of());
    }

    /** Outside the ephemeral range: found free here, bound later by the node, where a port-0 socket may not take it meanwhile. */
    private static int freePort() throws IOException {
        return NonEphemeralPort.find();
    }
}
