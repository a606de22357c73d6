package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.envelope.Envelopes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome submit --paper` is three writes at the coordinator (the experiment, its paper, the unit's
 * end), each a signed record stamped with its time. An agent killed between them, or whose answer
 * the kill cut, runs the same command again: the rerun must finish the submission, storing nothing
 * twice. It used to be refused ("already registered as an experiment"), the paper never published,
 * the unit left leased; and a paper published twice had it been re-signed. Real child processes,
 * SIGKILLed by a proxy once the coordinator has answered the write whose answer is lost.
 */
class SubmitKillTest {
    @TempDir
    Path dir;

    @Test
    void submitKilledAfterEachWriteIsFinishedByItsRerunStoringNothingTwice() throws Exception {
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3, 300))) {
            String url = network.url();
            CoordinatorClient operator = network.operator();
            try (NodeDaemon seedHolder = TestNetwork.node(NodeConfig.defaults(volunteer, url));
                    NodeDaemon agentsNode = TestNetwork.node(NodeConfig.defaults(agent, url));
                    KillingProxy proxy = new KillingProxy(url)) {
                Path ws = dir.resolve("ws");
                CliRun claim = CliRun.of("claim", "--data-dir", agent.toString(), "--coordinator", url,
                        "--direction", "d", "--workspace", ws.toString(), "--json");
                assertThat(claim.code()).as(claim.err()).isZero();
                String unit = claim.json().getAsJsonObject("unit").get("id").getAsString();
                String commit = TestNetwork.commitNearTheBest(ws);
                Path paper = dir.resolve("paper.md");
                Files.writeString(paper, "# Raising x helps\n\nThe metric is best near x = e^0.5.\n");
                String[] submit = {"submit", "--workspace", ws.toString(), "--data-dir", agent.toString(),
                    "--coordinator", proxy.url(), "--paper", paper.toString(), "--json"};

                // killed once the experiment is registered, before it learns so
                killedAt(proxy, "POST /v1/experiments ", submit);
                ExperimentReport report = operator.experimentReport(commit);
                assertThat(report.getPapersList()).isEmpty();

                // the rerun goes on (the experiment is there); killed once its paper is published
                killedAt(proxy, "POST /v1/papers ", submit);
                assertThat(operator.experimentReport(commit).getPapersList()).hasSize(1);

                // and killed once the unit is closed, before the claim is forgotten here
                killedAt(proxy, "POST /v1/explore-done ", submit);

                CliRun last = child(submit);
                assertThat(last.code()).as("the last rerun: %s", last.err()).isZero();
                JsonObject answer = JsonParser.parseString(last.lines().get(last.lines().size() - 1)).getAsJsonObject();
                assertThat(answer.get("commit").getAsString()).isEqualTo(commit);
                report = operator.experimentReport(commit);
                assertThat(report.getPapersList()).as("the paper, published once").hasSize(1);
                assertThat(answer.get("paper_id").getAsString())
                        .isEqualTo(Envelopes.id(report.getPapers(0)));
                assertThat(answer.getAsJsonArray("similar_diffs")).as("not compared with itself").isEmpty();
                // the rerun's close was refused (the killed one had closed the unit): the claim goes all the
                // same; it used to stay, and later commands met a refusal instead of `already_submitted`
                assertThat(agent.resolve("claims").resolve(unit + ".pb")).as("the claim after the last rerun").doesNotExist();
            }
        }
    }

    /**
     * `rhizome submit` copies HEAD into the repository of the node running on its data directory,
     * which serves it to peers. Killed inside that copy (the pack in, no ref yet: crash point
     * {@code bundle-admitted}) while the node runs on, the rerun copies the commit whole and registers
     * it, the node serves it (another node evaluates it, fetching it from there: no one else holds it),
     * and nothing of the killed copy stays: its bundle in the temporary directory stayed until the
     * node's next start.
     */
    @Test
    void submitKilledInsideItsCopyIntoTheServingNodesRepositoryIsFinishedByItsRerun() throws Exception {
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        String childTmp = "-Djava.io.tmpdir=" + tmp;
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3, 300))) {
            String url = network.url();
            try (NodeDaemon seedHolder = TestNetwork.node(NodeConfig.defaults(volunteer, url));
                    NodeDaemon agentsNode = TestNetwork.node(NodeConfig.defaults(agent, url))) {
                Path ws = dir.resolve("ws");
                CliRun claim = CliRun.of("claim", "--data-dir", agent.toString(), "--coordinator", url,
                        "--direction", "d", "--workspace", ws.toString(), "--json");
                assertThat(claim.code()).as(claim.err()).isZero();
                String commit = TestNetwork.commitNearTheBest(ws);
                List<String> submit = TestNetwork.launcher("submit", "--workspace", ws.toString(), "--data-dir",
                        agent.toString(), "--coordinator", url, "--json");

                Path killedLog = dir.resolve("killed.log");
                Process killed = RealProcess.start(submit, killedLog, childTmp, RealProcess.crashPoint(CrashPoints.BUNDLE_ADMITTED));
                try {
                    await().atMost(Duration.ofMinutes(3)).until(() -> !killed.isAlive()
                            || RealProcess.output(killedLog).contains("at crash point " + CrashPoints.BUNDLE_ADMITTED));
                    assertThat(killed.isAlive()).as("held inside its copy: %s", RealProcess.output(killedLog)).isTrue();
                    try (Stream<Path> left = Files.list(tmp)) {
                        assertThat(left.map(p -> p.getFileName().toString())).as("its bundle, written")
                                .anyMatch(n -> n.startsWith("rhizome-import-"));
                    }
                } finally {
                    RealProcess.kill(killed);
                }

                Path rerunLog = dir.resolve("rerun.log");
                Process rerun = RealProcess.start(submit, rerunLog, childTmp);
                assertThat(rerun.waitFor(180, TimeUnit.SECONDS)).as("the rerun ended: %s", RealProcess.output(rerunLog)).isTrue();
                String output = RealProcess.output(rerunLog);
                assertThat(rerun.exitValue()).as(output).isZero();
                assertThat(output).contains("\"commit\":\"" + commit + "\"");
                try (Stream<Path> left = Files.list(tmp)) {
                    assertThat(left.map(p -> p.getFileName().toString())).as("the killed copy's bundle")
                            .noneMatch(n -> n.startsWith("rhizome-import-"));
                }
                // the serving node, running here, keeps its own quarantine directory between imports, empty
                try (Stream<Path> repository = Files.list(new NodeLayout(agent).repository())) {
                    assertThat(repository.map(p -> p.getFileName().toString())).as("the killed copy's quarantine")
                            .noneMatch(n -> n.startsWith("rhizome-quarantine-" + killed.pid() + "-"));
                }
                try (Stream<Path> repository = Files.walk(new NodeLayout(agent).repository())) {
                    // but a kept quarantine's skeleton, its alternates file (git.QuarantineDir)
                    assertThat(repository.filter(p -> p.toString().contains("rhizome-quarantine-")).filter(Files::isRegularFile)
                            .filter(p -> !p.endsWith(Path.of("objects", "info", "alternates"))))
                            .as("files in quarantines").isEmpty();
                }
                await().atMost(Duration.ofMinutes(4)).until(() -> network.operator().results("d", commit).getEnvelopesCount() > 0);
            }
        }
    }

    /** Runs {@code args} as a child process the proxy kills once {@code request} is answered. */
    private void killedAt(KillingProxy proxy, String request, String... args) throws Exception {
        AtomicReference<Process> child = new AtomicReference<>();
        proxy.arm(request, KillingProxy.When.AFTER_ANSWER, child::get);
        Process p = RealProcess.start(TestNetwork.launcher(args), dir.resolve("submit.log"));
        child.set(p);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("submit ended").isTrue();
        assertThat(proxy.fired()).as("killed after the answer to %s; its output: %s", request,
                RealProcess.output(dir.resolve("submit.log"))).isTrue();
    }

    private static CliRun child(String... args) throws Exception {
        return CliRun.child(null, args);
    }
}
