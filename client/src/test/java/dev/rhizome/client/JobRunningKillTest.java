package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.work.ResultOutbox;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.files.ProcessStarts;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole `rhizome node` process SIGKILLed while its job runs in the sandbox, the job having started a
 * daemon of its own in a session of its own (setsid, out of the job's process group): no process of the
 * job outlives the node (bubblewrap's parent-death signal and its pid namespace take the whole tree),
 * and the node started again on its data directory resumes the unit, delivers one result for it and
 * leaves no temporary, partial or lock file behind.
 */
class JobRunningKillTest {
    @TempDir
    Path dir;

    @Test
    void aNodeKilledMidJobTakesEveryJobProcessWithItAndTheRestartDeliversTheUnitOnce() throws Exception {
        Path node = dir.resolve("node");
        NodeLayout layout = new NodeLayout(node);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed = TestNetwork.publishWithDirection(operator, node, daemonSeed(150), "d");
            Process first = RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", node.toString(),
                    "--coordinator", coordinator.url()), dir.resolve("node-1.log"));
            Map<Long, OptionalLong> job;
            try {
                // the job's daemon running, found among the node's descendants (it left the job's group)
                await().atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofMillis(100)).until(() -> !first.isAlive()
                        || descendants(first).values().stream().anyMatch(c -> c.contains("sleep 3600")));
                assertThat(first.isAlive()).as("running its job; its log: %s", log("node-1.log")).isTrue();
                Map<Long, String> tree = descendants(first);
                assertThat(tree.values()).as("the job's processes").anyMatch(c -> c.contains("Train.java"));
                job = tree.keySet().stream().collect(Collectors.toMap(pid -> pid, ProcessStarts::of));
            } finally {
                RealProcess.kill(first);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> job.entrySet().stream()
                    .noneMatch(e -> ProcessStarts.running(e.getKey(), e.getValue())));

            List<String> buffered = bufferedUnits(layout);
            assertThat(buffered).as("the unit buffered at the kill").hasSize(1);
            String unit = buffered.get(0);
            String file = ResultOutbox.fileName(unit);
            Process second = RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", node.toString(),
                    "--coordinator", coordinator.url()), dir.resolve("node-2.log"));
            try {
                await().atMost(Duration.ofMinutes(8)).until(() -> !second.isAlive()
                        || log("node-2.log").contains("(acknowledged " + file + ")"));
                assertThat(log("node-2.log")).as("the restart's log").contains("resuming unit " + unit)
                        .contains("(acknowledged " + file + ")");
            } finally {
                RealProcess.stop(second);
            }
            assertThat(stored(operator, seed, unit)).as("the unit's results at the coordinator").hasSize(1);
            assertThat(leftovers(node)).as("temporary and lock files left in the data directory").isEmpty();
        }
    }

    /** {@link TestNetwork#slowSeed}'s job, which first starts {@code sleep 3600} in a session of its own. */
    private static SortedMap<String, byte[]> daemonSeed(int steps) {
        SortedMap<String, byte[]> files = TestNetwork.slowSeed(steps, 600);
        String train = new String(files.get("Train.java"), StandardCharsets.UTF_8).replace(
                "int steps = ", "new ProcessBuilder(\"setsid\", \"-f\", \"sleep\", \"3600\").start().waitFor();\n"
                        + "        int steps = ");
        files.put("Train.java", train.getBytes(StandardCharsets.UTF_8));
        return files;
    }

    private static Map<Long, String> descendants(Process p) {
        try (Stream<ProcessHandle> all = p.toHandle().descendants()) {
            return all.collect(Collectors.toMap(ProcessHandle::pid,
                    h -> h.info().commandLine().orElse(h.info().command().orElse("")), (a, b) -> a));
        }
    }

    private static List<Path> leftovers(Path data) throws IOException {
        try (Stream<Path> all = Files.walk(data)) {
            return all.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".tmp") || n.endsWith(".partial")
                        || (n.endsWith(".lock") && !n.equals("node.lock") && !n.equals("pause.lock") && !n.endsWith(".db.lock"));
            }).toList();
        }
    }

    private String log(String name) throws IOException {
        return RealProcess.output(dir.resolve(name));
    }

    private static List<Result> stored(CoordinatorClient reader, Seed seed, String unit) throws Exception {
        return SignedResults.check(reader.results(null, seed.getCommit()).getEnvelopesList()).valid().stream()
                .map(v -> v.record()).filter(r -> r.getWorkUnitId().equals(unit)).toList();
    }

    private static List<String> bufferedUnits(NodeLayout layout) throws IOException {
        List<String> units = new ArrayList<>();
        if (!Files.isDirectory(layout.buffer())) {
            return units;
        }
        try (Stream<Path> files = Files.list(layout.buffer())) {
            for (Path p : files.toList()) {
                if (p.getFileName().toString().endsWith(".unit")) {
                    units.add(WorkUnit.parseFrom(Files.readAllBytes(p)).getId());
                }
            }
        }
        return units;
    }
}
