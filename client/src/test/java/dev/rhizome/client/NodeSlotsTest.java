package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.CpuShare;
import dev.rhizome.node.prefs.NodePreferences;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.ops.bench.ShortJobs;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with two CPU slots against a real coordinator, fetching every commit from a second
 * node over loopback: jobs run two at a time, each slot's next unit is claimed and fetched while
 * its job runs, and the running node answers status, pause and resume on its control socket.
 */
class NodeSlotsTest {
    private static final int EXPERIMENTS = 6;

    @TempDir
    Path dir;

    @Test
    void twoSlotsRunJobsAtOnceWithPrefetchedBundlesAndObeyPauseAndResume() throws Exception {
        SortedMap<String, byte[]> files = ShortJobs.seed("short", 8, 0.1, 60);
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
            operator.openDirection(ShortJobs.direction(operator, seed, "d"));
            ShortJobs.register(operator, seed, "d", commits);
            int units = EXPERIMENTS + 1; // and the direction's baseline

            // The holder only serves: it works on a direction that has no units.
            try (NodeDaemon holder = TestNetwork.node(NodeConfig.defaults(holderDir, coordinator.url())
                    .withDirection("nothing-here"));
                 NodeDaemon runner = TestNetwork.node(NodeConfig.defaults(runnerDir, coordinator.url())
                         .withPreferences(NodePreferences.defaults().withCpuJobs(2)))) {
                Path socket = new NodeLayout(runnerDir).controlSocket();
                await().atMost(Duration.ofSeconds(60)).until(() -> results(operator, seed).size() >= 2);

                assertThat(ControlClient.request(socket, "pause")).contains("\"paused\":true");
                // the jobs running at the pause finish first: minutes on a machine loaded far past its cores
                await().atMost(Duration.ofMinutes(3)).until(() -> status(socket).getAsJsonArray("slots").asList().stream()
                        .allMatch(s -> s.getAsJsonObject().get("job").isJsonNull()));
                JsonObject paused = status(socket);
                assertThat(paused.get("paused").getAsBoolean()).isTrue();
                assertThat(paused.get("gate").getAsString()).isEqualTo("paused");
                long jobsAtPause = paused.getAsJsonObject("credit").get("jobs_run").getAsLong();
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(60)).until(() ->
                        status(socket).getAsJsonObject("credit").get("jobs_run").getAsLong() == jobsAtPause);

                assertThat(ControlClient.request(socket, "resume")).contains("\"paused\":false");
                await().atMost(Duration.ofSeconds(90)).until(() -> results(operator, seed).size() >= units);

                JsonObject done = status(socket);
                assertThat(done.getAsJsonArray("slots")).hasSize(2);
                long prefetched = done.getAsJsonArray("slots").asList().stream()
                        .mapToLong(s -> s.getAsJsonObject().get("prefetched_runs").getAsLong()).sum();
                assertThat(prefetched).as("jobs that ran on a unit claimed and fetched during the previous job")
                        .isPositive();
                // round 38: each slot's jobs on a share of the node's CPUs of their own, two slots' never the same core
                List<String> cpus = done.getAsJsonArray("slots").asList().stream().map(s -> s.getAsJsonObject().get("cpus"))
                        .filter(c -> !c.isJsonNull()).map(c -> c.getAsString()).toList();
                if (Files.isExecutable(Path.of("/usr/bin/taskset"))
                        && CpuShare.ofThisProcess().map(c -> c.cpus().size() >= 2).orElse(false)) {
                    assertThat(cpus).as("both slots' cpus").hasSize(2);
                    assertThat(CpuShare.parse(cpus.get(0)).cpus()).doesNotContainAnyElementsOf(CpuShare.parse(cpus.get(1)).cpus());
                }
                assertThat(done.getAsJsonObject("credit").get("jobs_run").getAsLong()).isEqualTo(units);
                JsonObject disk = done.getAsJsonObject("disk");
                assertThat(disk.get("repo_budget_bytes").getAsLong()).isEqualTo(4096L << 20);
                assertThat(disk.get("keep_budget_bytes").getAsLong()).isEqualTo(2048L << 20);
                assertThat(disk.get("repo_bytes").getAsLong()).as("the commits its jobs fetched").isPositive();
            }
            List<Result> results = results(operator, seed);
            assertThat(results).hasSize(units).allMatch(r -> r.getStatus() == Result.Status.OK)
                    .allMatch(r -> r.getHardwareClass().startsWith("cpu:"))
                    .allMatch(r -> r.getGpuSamples() == 0);
            List<ShortJobs.Span> spans = ShortJobs.spans(new NodeLayout(runnerDir).logs());
            assertThat(spans).hasSize(units);
            boolean overlap = false;
            for (int i = 1; i < spans.size(); i++) {
                overlap |= spans.get(i).startMs() < spans.get(i - 1).endMs();
            }
            assertThat(overlap).as("two jobs ran at the same time").isTrue();
        }
    }

    private static List<Result> results(CoordinatorClient operator, Seed seed) throws Exception {
        return SignedResults.check(operator.results("d", null).getEnvelopesList()).valid().stream()
                .map(v -> v.record()).toList();
    }

    private static JsonObject status(Path socket) throws Exception {
        return JsonParser.parseString(ControlClient.request(socket, "status")).getAsJsonObject();
    }
}
