package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volunteer whose jobs all fail reads in `rhizome node status` which outcome they had, the latest
 * reason and what to do: the status said "4 errors" (the coordinator's count) and no more, so a
 * machine too busy for the seed's time limit could not be told from bad commits.
 */
class NodeFailuresStatusTest {
    @TempDir
    Path dir;

    @Test
    void jobsThatTimeOutAreNamedWithTheirReasonAndWhatToDo() throws Exception {
        Path node = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            // 100 steps of 100 ms against a 1 s limit: every job runs into its timeout
            SortedMap<String, byte[]> seed = TestNetwork.slowSeed(100, 1);
            TestNetwork.seedInto(node, seed);
            TestNetwork.publishWithDirection(operator, dir.resolve("operator-repo"), seed, "d");
            NodeDaemon daemon = TestNetwork.node(NodeConfig.defaults(node, coordinator.url()).withMaxUnits(2));
            try {
                JsonObject timeouts = await().atMost(new LoadScaledBudget(Duration.ofSeconds(60), Duration.ofSeconds(240)).now())
                        .until(() -> failure(node, "TIMEOUT", "MACHINE_BUSY"), t -> t != null);
                assertThat(timeouts.get("count").getAsLong()).isPositive();
                if (timeouts.get("outcome").getAsString().equals("MACHINE_BUSY")) {
                    // a loaded machine kept the JVM off a CPU to the wall-clock bound: not the commit's TIMEOUT
                    assertThat(timeouts.get("last_reason").getAsString()).startsWith("not run to its end: ");
                    assertThat(timeouts.get("advice").getAsString()).contains("not reported").contains("--cpu-jobs 1");
                    return;
                }
                assertThat(timeouts.get("last_runtime_ms").getAsLong()).as("ran to the seed's limit").isGreaterThanOrEqualTo(1000);
                assertThat(timeouts.get("last_seed").getAsString()).isEqualTo("slow");
                assertThat(timeouts.get("last_unit").getAsString()).isNotBlank();
                assertThat(timeouts.get("advice").getAsString()).contains("time limit").contains("--cpu-jobs 1");
                // a single-command seed's TIMEOUT says which limit it hit (it said nothing): on a loaded
                // machine, the wall-clock bound, the JVM at nice 19 having had next to no CPU
                assertThat(timeouts.get("last_reason").getAsString()).startsWith("timed out: ");

                CliRun text = CliRun.of("node", "status", "--data-dir", node.toString()).succeeded("node status");
                assertThat(text.out()).contains("jobs that measured nothing since this node started:")
                        .containsPattern("\\d+ TIMEOUT, the latest unit \\S+ of seed slow after \\d+\\.\\d s")
                        .contains("--cpu-jobs 1");
            } finally {
                daemon.close();
            }
        }
    }

    /**
     * A job at a volunteer's priority (nice 19) on a machine whose every core the owner's work keeps
     * busy gets next to no CPU until its wall-clock bound. It was a TIMEOUT, reported and charged to
     * the commit; the node now reports nothing for it (the coordinator holds no result of the commit)
     * and names it MACHINE_BUSY in `node status`, with what to do.
     */
    @Test
    void jobsKeptOffTheCpuByTheOwnersWorkAreNotReportedAgainstTheCommit() throws Exception {
        Path node = dir.resolve("node");
        List<Process> owners = new ArrayList<>();
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            SortedMap<String, byte[]> seed = TestNetwork.slowSeed(100, 2);
            TestNetwork.seedInto(node, seed);
            String base = TestNetwork.publishWithDirection(operator, dir.resolve("operator-repo"), seed, "d").getCommit();
            for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
                owners.add(new ProcessBuilder("/bin/sh", "-c", "while :; do :; done").start());
            }
            // a volunteer's priority, as `rhizome node` runs its jobs
            NodeDaemon daemon = NodeDaemon.start(NodeConfig.defaults(node, coordinator.url()).withMaxUnits(1),
                    SandboxProbe.launcher());
            try {
                JsonObject busy = await().atMost(new LoadScaledBudget(Duration.ofSeconds(60), Duration.ofSeconds(240)).now())
                        .until(() -> failure(node, "MACHINE_BUSY"), t -> t != null);
                assertThat(busy.get("last_reason").getAsString()).startsWith("not run to its end: ")
                        .contains("s for a CPU, which other work on this busy machine held");
                assertThat(busy.get("advice").getAsString()).contains("not reported").contains("--cpu-jobs 1");
                assertThat(failure(node, "TIMEOUT")).as("no TIMEOUT charged to the commit").isNull();
                assertThat(operator.results("d", base).getEnvelopesCount()).as("nothing reported of the commit").isZero();
                // given back (POST /v1/leases/give-back): open to the next claim at once, where it waited out
                // its lease and counted as an expired one against this node
                String starved = busy.get("last_unit").getAsString();
                UnitStatus unit = await().atMost(new LoadScaledBudget(Duration.ofSeconds(10), Duration.ofSeconds(60)).now())
                        .until(() -> operator.units("OPEN").getUnitsList().stream()
                                .filter(u -> u.getUnit().getId().equals(starved)).findFirst().orElse(null), u -> u != null);
                assertThat(unit.getExpiredLeases()).as("given back, not expired").isZero();

                // the owner's spinners still hold every core: the node claims nothing until they leave one
                JsonObject status = CliRun.of("node", "status", "--json", "--data-dir", node.toString())
                        .succeeded("node status --json").json();
                JsonObject backoff = status.getAsJsonObject("busy");
                assertThat(backoff.get("claiming").getAsBoolean()).as("claiming on a machine that starves its jobs").isFalse();
                assertThat(backoff.get("since_ms").getAsLong()).isPositive();
                assertThat(backoff.get("waiting_for").getAsString()).contains("the load to leave 1 core");
                assertThat(status.getAsJsonArray("slots").get(0).getAsJsonObject().get("state").getAsString())
                        .startsWith("not claiming (a job was kept off a CPU)");

                CliRun text = CliRun.of("node", "status", "--data-dir", node.toString()).succeeded("node status");
                assertThat(text.out()).containsPattern("\\d+ MACHINE_BUSY, the latest unit \\S+ of seed slow after")
                        .contains("not reported").contains("this machine is busy: NOT CLAIMING since ");
            } finally {
                daemon.close();
            }
        } finally {
            owners.forEach(Process::destroyForcibly);
        }
    }

    /** The status's entry of the first of {@code outcomes} it has, or null while there is none. */
    private static JsonObject failure(Path node, String... outcomes) {
        JsonObject status = CliRun.of("node", "status", "--json", "--data-dir", node.toString())
                .succeeded("node status --json").json();
        JsonArray failures = status.getAsJsonArray("failures");
        for (int i = 0; failures != null && i < failures.size(); i++) {
            JsonObject f = failures.get(i).getAsJsonObject();
            if (List.of(outcomes).contains(f.get("outcome").getAsString())) {
                return f;
            }
        }
        return null;
    }
}
