package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.support.PrometheusText;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.ops.bench.ShortJobs;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real nodes against a real coordinator, each serving {@code /metrics} on loopback: the
 * runner fetches every commit from the holder and runs the jobs, and the scrapes (read with a
 * strict parser of the exposition format) show the jobs, the bytes fetched and served, the slots
 * and the peers' scores move with that work.
 */
class NodeMetricsTest {
    private static final int EXPERIMENTS = 2;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void metricsOfTwoNodesMoveWithTheJobsAndTransfersTheyDo() throws Exception {
        SortedMap<String, byte[]> files = ShortJobs.seed("short", 2, 0.05, 60);
        Path holderDir = dir.resolve("holder");
        Path runnerDir = dir.resolve("runner");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed;
            List<String> commits;
            try (NodeRepository repo = NodeRepository.open(new NodeLayout(holderDir).repository())) {
                seed = SeedPublisher.publish(repo, files, operator, Clock.systemUTC());
                commits = ShortJobs.commits(repo, seed.getCommit(), EXPERIMENTS);
            }
            try (NodeDaemon holder = TestNetwork.node(NodeConfig.defaults(holderDir, coordinator.url())
                    .withDirection("nothing-here").withMetricsPort(0));
                 NodeDaemon runner = TestNetwork.node(NodeConfig.defaults(runnerDir, coordinator.url())
                         .withDirection("d").withMetricsPort(0))) {
                int runnerPort = runner.metricsPort().orElseThrow();
                int holderPort = holder.metricsPort().orElseThrow();

                PrometheusText before = scrape(runnerPort);
                assertThat(before.type("rhizome_node_jobs_run_total")).isEqualTo("counter");
                assertThat(before.value("rhizome_node_jobs_total", Map.of("status", "OK"))).isZero();
                // Not necessarily zero: under the wants filter the holder may already have named the runner a
                // keeper of the commits it made before it started.
                assertThat(before.type("rhizome_node_bytes_fetched_total")).isEqualTo("counter");
                int slots = runner.loop().slots().size();
                assertThat(before.value("rhizome_node_slots", Map.of("state", "busy"))
                        + before.value("rhizome_node_slots", Map.of("state", "idle"))).isEqualTo(slots);

                operator.openDirection(ShortJobs.direction(operator, seed, "d"));
                ShortJobs.register(operator, seed, "d", commits);
                int units = EXPERIMENTS + 1; // and the direction's baseline
                await().atMost(Duration.ofSeconds(90)).until(() ->
                        scrape(runnerPort).value("rhizome_node_jobs_total", Map.of("status", "OK")) >= units);

                // A job is counted when it ends, its result reported from the outbox a moment later:
                // jobs at the test's priority ended before the last report reached the coordinator.
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                        assertThat(SignedResults.check(operator.results("d", null).getEnvelopesList()).valid())
                                .as("every job counted was reported").hasSizeGreaterThanOrEqualTo(units));
                PrometheusText runnerAfter = scrape(runnerPort);
                assertThat(runnerAfter.type("rhizome_node_jobs_total")).isEqualTo("counter");
                assertThat(runnerAfter.value("rhizome_node_jobs_run_total", Map.of())).isGreaterThanOrEqualTo(units);
                double fetched = runnerAfter.value("rhizome_node_bytes_fetched_total", Map.of());
                assertThat(fetched).as("bundle bytes the runner fetched from the holder").isPositive();
                assertThat(runnerAfter.value("rhizome_node_fetches_completed_total", Map.of())).isPositive();
                await().atMost(Duration.ofMinutes(2)).until(() ->
                        scrape(holderPort).value("rhizome_node_bytes_served_total", Map.of()) >= fetched);

                // The two are linked by gossip: each scores the other, and neither has banned anyone.
                await().atMost(Duration.ofMinutes(2)).until(() -> scrape(runnerPort)
                        .samples("rhizome_node_peer_score").stream()
                        .anyMatch(s -> s.labels().get("peer").equals(holder.identity().publicId().toString())));
                PrometheusText linked = scrape(runnerPort);
                assertThat(linked.value("rhizome_node_peers_connected", Map.of())).isGreaterThanOrEqualTo(1);
                assertThat(linked.value("rhizome_node_peers_banned_total", Map.of())).isZero();
                // The gossip layer's own meters, kept once in the node's registry (GossipMeters): a link that
                // scored its peer has carried gossip both ways.
                assertThat(linked.type("rhizome_node_gossip_messages_sent_total")).isEqualTo("counter");
                assertThat(linked.value("rhizome_node_gossip_messages_sent_total", Map.of())).isPositive();
                assertThat(linked.value("rhizome_node_gossip_messages_received_total", Map.of())).isPositive();
                assertThat(linked.value("rhizome_node_protocol_violations_total", Map.of())).isZero();
                // The repository against its budget: the commits its jobs fetched.
                PrometheusText disk = scrape(runnerPort);
                assertThat(disk.value("rhizome_node_repo_bytes", Map.of())).isPositive();
                assertThat(disk.value("rhizome_node_repo_budget_bytes", Map.of())).isEqualTo(4096.0 * (1 << 20));
                assertThat(disk.value("rhizome_node_repo_packs", Map.of())).isPositive();
                assertThat(disk.value("rhizome_node_keep_budget_bytes", Map.of())).isEqualTo(2048.0 * (1 << 20));

                HttpResponse<String> other = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + runnerPort + "/")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(other.statusCode()).isEqualTo(404);
            }
        }
    }

    private static PrometheusText scrape(int port) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        return PrometheusText.parse(response.body());
    }
}
