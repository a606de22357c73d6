package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.work.ReceiptBook;
import dev.rhizome.node.work.ResultOutbox;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outage a volunteer's machine sees: the coordinator SIGKILLed while the node runs a job, the job
 * finishing while no coordinator answers, the node SIGKILLed and started again twice during the
 * outage, and only then the coordinator back on its data directory and port. Real coordinator and
 * node processes. The result must reach the coordinator exactly once, its receipt be kept, the unit
 * never be run again nor given back (the lease's renewals failing in the outage give nothing away),
 * nothing partial be left in the node's data directory, and `rhizome node status --json` tell the
 * truth at each step: the job running, the result waiting in the outbox with the coordinator's
 * credit unknown and why, each restart's own pid, then the outbox empty and the credit read.
 */
class OutageNodeRestartsTest {
    /** About a minute of the job's steps (100 ms each): the coordinator is killed long before it ends. */
    private static final int STEPS = 600;

    @TempDir
    Path dir;

    @Test
    void aResultFinishedInAnOutageSurvivesTwoNodeKillsAndIsReportedOnceWhenTheCoordinatorIsBack() throws Exception {
        Path node = dir.resolve("node");
        NodeLayout layout = new NodeLayout(node);
        CoordinatorProcesses coordinators = new CoordinatorProcesses(dir);
        Process coordinator = coordinators.start("c", "", List.of());
        Process running = null;
        try {
            String url = coordinators.url("c", coordinator);
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = TestNetwork.publishWithDirection(operator, node, TestNetwork.slowSeed(STEPS, 900), "d");

            running = startNode(node, url, 1);
            Process first = running;
            JsonObject job = await().atMost(Duration.ofMinutes(4)).until(() -> status(node, first), s -> runningUnit(s) != null);
            String unit = runningUnit(job);
            String file = ResultOutbox.fileName(unit);

            RealProcess.kill(coordinator);  // SIGKILL, the job still running
            await().atMost(Duration.ofMinutes(4)).until(() -> Files.exists(layout.outbox().resolve(file)));
            JsonObject finished = await().atMost(Duration.ofMinutes(2)).until(() -> status(node, first),
                    s -> pending(s) == 1 && runningUnit(s) == null);
            assertOutageTold(finished);
            assertThat(log(1)).as("the job's end, logged").contains("(unit " + unit + ")");

            for (int restart = 2; restart <= 3; restart++) {
                RealProcess.kill(running);  // SIGKILL, the result still in the outbox
                assertThat(layout.outbox().resolve(file)).as("the result kept across kill %d", restart - 1).isRegularFile();
                running = startNode(node, url, restart);
                Process now = running;
                JsonObject answer = await().atMost(Duration.ofMinutes(4)).until(() -> status(node, now), s -> s != null);
                assertThat(answer.get("pid").getAsLong()).as("the pid status names").isEqualTo(now.pid());
                assertThat(pending(answer)).as("the result waiting in the outbox after restart %d", restart).isEqualTo(1);
                assertOutageTold(answer);
                assertThat(runningUnit(answer)).as("the unit run again").isNotEqualTo(unit);
            }

            coordinator = coordinators.start("c", "", List.of());
            String back = coordinators.url("c", coordinator);
            assertThat(back).as("the coordinator back where the node looks").isEqualTo(url);
            await().atMost(Duration.ofMinutes(4)).until(() -> log(3).contains("(acknowledged " + file + ")"));
            Process last = running;
            JsonObject delivered = await().atMost(Duration.ofMinutes(2)).until(() -> status(node, last),
                    s -> pending(s) == 0 && s.has("coordinator_credit") && s.get("coordinator_credit").isJsonObject());
            assertThat(delivered.get("coordinator_credit_problem").isJsonNull()).as("status's credit problem, once back")
                    .isTrue();

            assertThat(stored(operator, seed, unit)).as("the unit's results at the coordinator").hasSize(1);
            assertThat(SignedResults.check(new ReceiptBook(layout.receipts()).all().stream().map(KeptReceipt::getResult)
                    .toList()).valid().stream().filter(v -> v.record().getWorkUnitId().equals(unit)))
                    .as("the result's receipts, kept").hasSize(1);
            assertThat(names(layout.outbox().resolve("refused"))).as("results refused for good").isEmpty();
            assertThat(names(layout.giveBacks())).as("units given back").isEmpty();
            for (int n = 1; n <= 3; n++) {
                assertThat(log(n)).as("node run %d's log", n).doesNotContain("resuming unit " + unit)
                        .doesNotContain("unit " + unit + " claimed before the restart is being given back");
            }
            assertThat(log(2) + log(3)).as("the unit's job after a restart").doesNotContain("(unit " + unit + ")");
            RealProcess.stop(running);  // its own stop: the walk below must not race a job's directory
            assertThat(partial(node)).as("partial files in the node's data directory").isEmpty();
        } finally {
            if (running != null) {
                RealProcess.stop(running);
            }
            CoordinatorProcesses.stop(coordinator);
        }
    }

    /** While the coordinator is away, status still answers from the node, and says the coordinator's credit is unknown and why. */
    private static void assertOutageTold(JsonObject status) {
        assertThat(status.get("coordinator_credit").isJsonNull()).as("the coordinator's credit, unknown in the outage: %s",
                status).isTrue();
        assertThat(status.get("coordinator_credit_problem").getAsString()).as("why").isNotBlank();
    }

    private Process startNode(Path node, String url, int n) throws IOException {
        return RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", node.toString(), "--coordinator", url),
                dir.resolve("node-" + n + ".log"));
    }

    /**
     * `rhizome node status --json` on the node's data directory, once the node {@code p} answers it
     * (null until then: starting, or answering busy); fails if the node died.
     */
    private JsonObject status(Path node, Process p) throws Exception {
        assertThat(p.isAlive()).as("the node running; its log: %s", logOf(p)).isTrue();
        Path out = dir.resolve("status.json");
        Process status = new ProcessBuilder(TestNetwork.launcher("node", "status", "--json", "--data-dir", node.toString()))
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!status.waitFor(2, TimeUnit.MINUTES)) {
            status.destroyForcibly();
            return null;
        }
        String answer = Files.readString(out, StandardCharsets.UTF_8).trim();
        if (status.exitValue() != 0 || answer.isEmpty()) {
            return null;
        }
        JsonObject json = JsonParser.parseString(answer).getAsJsonObject();
        return json.has("slots") && json.get("pid").getAsLong() == p.pid() ? json : null;
    }

    /** The unit a slot of this status runs (its job started), or null. */
    private static String runningUnit(JsonObject status) {
        if (status == null) {
            return null;
        }
        for (var slot : status.getAsJsonArray("slots")) {
            JsonObject s = slot.getAsJsonObject();
            if (s.get("state").getAsString().equals("running") && s.has("lease") && s.get("lease").isJsonObject()) {
                return s.getAsJsonObject("lease").get("unit").getAsString();
            }
        }
        return null;
    }

    private static int pending(JsonObject status) {
        return status == null ? -1 : status.getAsJsonObject("credit").get("outbox_pending").getAsInt();
    }

    private String log(int n) throws IOException {
        return RealProcess.output(dir.resolve("node-" + n + ".log"));
    }

    private String logOf(Process p) throws IOException {
        StringBuilder all = new StringBuilder();
        for (int n = 1; n <= 3; n++) {
            all.append(log(n));
        }
        return all.length() > 4000 ? all.substring(all.length() - 4000) : all.toString();
    }

    private static List<Result> stored(CoordinatorClient reader, Seed seed, String unit) throws Exception {
        return SignedResults.check(reader.results(null, seed.getCommit()).getEnvelopesList()).valid().stream()
                .map(v -> v.record()).filter(r -> r.getWorkUnitId().equals(unit)).toList();
    }

    /** Files a write or a fetch leaves while under way: a temporary file, a partial download. */
    private static List<Path> partial(Path dataDir) throws IOException {
        Predicate<Path> partial = p -> {
            String name = p.getFileName().toString();
            return name.endsWith(".tmp") || name.contains(".partial");
        };
        try (Stream<Path> files = Files.walk(dataDir)) {
            return files.filter(partial).toList();
        }
    }

    private static List<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
