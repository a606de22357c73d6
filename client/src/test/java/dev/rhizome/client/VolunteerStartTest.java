package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.support.NonEphemeralPort;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new volunteer meets starting `rhizome node` and pointing commands at a coordinator, on
 * real child processes and a real coordinator on loopback: a serve-only node, a --direction the
 * coordinator could not check at start, and an unreachable coordinator named by what set its URL.
 */
class VolunteerStartTest {
    @TempDir
    Path dir;

    private Process start(String name, List<String> args) throws IOException {
        return new ProcessBuilder(TestNetwork.launcher(args.toArray(String[]::new)))
                .redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile()).start();
    }

    private List<String> out(String name) throws IOException {
        return Files.readAllLines(dir.resolve(name + ".out")).stream().filter(l -> l.startsWith("{")).toList();
    }

    private String err(String name) throws IOException {
        return Files.readString(dir.resolve(name + ".err"), StandardCharsets.UTF_8);
    }

    @Test
    void cpuJobsZeroWithNoGpuIsAServeOnlyNodeThatKeepsRunningAndIsListedToPeers() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path data = dir.resolve("seeder");
            Process node = start("seeder", List.of("node", "--json", "--cpu-jobs", "0", "--gpus", "none",
                    "--data-dir", data.toString(), "--coordinator", c.url()));
            try {
                // it used to stop at once: "no slots: no GPU chosen and cpu-jobs is 0", named --data-dir
                await().atMost(Duration.ofMinutes(2)).until(() -> !out("seeder").isEmpty() || !node.isAlive());
                assertThat(node.isAlive()).as(err("seeder")).isTrue();
                JsonObject ready = JsonParser.parseString(out("seeder").get(0)).getAsJsonObject();
                String id = ready.get("node_id").getAsString();
                assertThat(err("seeder")).contains("serve-only");

                JsonObject status = JsonParser.parseString(ControlClient.request(new NodeLayout(data).controlSocket(),
                        "status")).getAsJsonObject();
                assertThat(status.getAsJsonArray("slots")).isEmpty();
                // announced: the coordinator hands it to peers as a node to fetch from
                CoordinatorClient reader = new CoordinatorClient(c.url(), Identity.generate());
                await().atMost(Duration.ofMinutes(1)).until(() -> reader.nodes().getPeersList().stream()
                        .anyMatch(p -> ready.get("peer_port").getAsInt() == p.getPort()));
                assertThat(id).hasSize(64);
                assertThat(node.isAlive()).as("a node without slots runs until stopped").isTrue();
            } finally {
                node.destroy();
                assertThat(node.waitFor(2, TimeUnit.MINUTES)).isTrue();
            }
            assertThat(out("seeder")).as("stopped by SIGTERM: no error object").hasSize(1);
            // systemd's stop is this SIGTERM: the shipped unit counts the status it leaves as success
            // (143 made every `systemctl stop` leave the node's unit failed)
            String unit = Files.readString(Path.of("..", "ops", "systemd", "rhizome-node.service"));
            assertThat(unit).contains("SuccessExitStatus=" + node.exitValue());
        }
    }

    @Test
    void aMachineThatCannotSandboxJobsIsRefusedWithTheWaysOn() throws Exception {
        // the hint was the generic "fix what the message names and run the command again"; a prlimit
        // first on the PATH in a directory the sandbox does not show (a private /tmp) fails the trial job,
        // as a tool the sandbox cannot reach would on a volunteer's machine
        Path tools = Files.createDirectories(dir.resolve("tools"));
        Path prlimit = tools.resolve("prlimit");
        Files.writeString(prlimit, "#!/bin/sh\nexec /usr/bin/prlimit \"$@\"\n");
        prlimit.toFile().setExecutable(true);
        ProcessBuilder b = new ProcessBuilder(TestNetwork.launcher("node", "--json", "--data-dir",
                dir.resolve("n").toString(), "--coordinator", "http://127.0.0.1:1"))
                .redirectError(dir.resolve("refused.err").toFile());
        b.environment().put("PATH", tools + ":" + System.getenv("PATH"));
        Process node = b.start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(3, TimeUnit.MINUTES)).isTrue();
        assertThat(node.exitValue()).as(out + err("refused")).isEqualTo(ExitCodes.FAILED);
        JsonObject refusal = JsonParser.parseString(out.strip().lines().reduce((x, y) -> y).orElseThrow()).getAsJsonObject();
        assertThat(refusal.get("message").getAsString()).contains("cannot sandbox jobs");
        assertThat(refusal.get("hint").getAsString()).contains("rhizome node doctor").contains("--cpu-jobs 0")
                .contains("--no-sandbox").doesNotContain("RHIZOME_DEBUG");
    }

    @Test
    void aNodeWithNothingToRunSaysWhyInItsLogAndItsStatus() throws Exception {
        // a node on a network with no open evaluation showed `claiming` for as long as it ran, and
        // printed nothing after its start: the volunteer could not tell an idle network from a stuck node
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path data = dir.resolve("idle");
            Process node = start("idle", List.of("node", "--json", "--no-sandbox", "--data-dir", data.toString(),
                    "--coordinator", c.url()));
            try {
                await().atMost(Duration.ofMinutes(3)).until(() -> err("idle").contains("no work for this slot yet")
                        || !node.isAlive());
                assertThat(err("idle")).contains("cpu0: no work for this slot yet: no open evaluation this node may run");
                await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
                    JsonObject status = JsonParser.parseString(ControlClient.request(new NodeLayout(data).controlSocket(),
                            "status")).getAsJsonObject();
                    assertThat(status.getAsJsonArray("slots").get(0).getAsJsonObject().get("state").getAsString())
                            .contains("no open evaluation this node may run");
                });
                String text = new String(new ProcessBuilder(TestNetwork.launcher("node", "status", "--data-dir",
                        data.toString())).redirectErrorStream(true).start().getInputStream().readAllBytes(),
                        StandardCharsets.UTF_8);
                assertThat(text).contains("no open evaluation this node may run");
                // `node stop` is `kill PID`: the status names the pid, the ready line's, in both forms
                long readyPid = JsonParser.parseString(out("idle").get(0)).getAsJsonObject().get("pid").getAsLong();
                assertThat(readyPid).isEqualTo(node.pid());
                Process json = new ProcessBuilder(TestNetwork.launcher("node", "status", "--json", "--data-dir",
                        data.toString())).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String answer = new String(json.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(json.waitFor(2, TimeUnit.MINUTES)).isTrue();
                assertThat(json.exitValue()).as(answer).isZero();
                assertThat(JsonParser.parseString(answer).getAsJsonObject().get("pid").getAsLong()).isEqualTo(readyPid);
                assertThat(text).contains("(pid " + readyPid + ")");
            } finally {
                node.destroy();
                assertThat(node.waitFor(2, TimeUnit.MINUTES)).isTrue();
            }
        }
    }

    @Test
    void aDirectionUncheckedAtStartIsRefusedByTheFirstClaimThatReachesTheCoordinator() throws Exception {
        // bound later by the coordinator: outside the ephemeral range, where no port-0 socket takes it meanwhile
        int port = NonEphemeralPort.find();
        String url = "http://127.0.0.1:" + port;
        Process node = start("node", List.of("node", "--json", "--no-sandbox", "--direction", "no-such",
                "--data-dir", dir.resolve("n").toString(), "--coordinator", url));
        try {
            // said at start, where the volunteer is looking, with what set the URL
            await().atMost(Duration.ofMinutes(2)).until(() -> err("node").contains("is not checked yet")
                    || !node.isAlive());
            assertThat(err("node")).contains("--direction no-such is not checked yet").contains("set by --coordinator");
            assertThat(node.isAlive()).isTrue();
            try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")).withPort(port))) {
                assertThat(node.waitFor(3, TimeUnit.MINUTES)).as("the node stops at its first answered claim").isTrue();
            }
            assertThat(node.exitValue()).as(err("node")).isEqualTo(ExitCodes.USAGE);
            List<String> lines = out("node");
            JsonObject refusal = JsonParser.parseString(lines.get(lines.size() - 1)).getAsJsonObject();
            assertThat(refusal.get("error").getAsString()).isEqualTo("unknown_direction");
            assertThat(refusal.get("option").getAsString()).isEqualTo("--direction");
            assertThat(refusal.get("message").getAsString()).contains("no-such");
        } finally {
            node.destroyForcibly();
        }
    }

    @Test
    void anUnreachableCoordinatorIsNamedByWhatSetItsUrl() throws Exception {
        CliRun typed = CliRun.of("status", "--json", "--data-dir", dir.resolve("a").toString(),
                "--coordinator", "http://127.0.0.1:1");
        JsonObject o = typed.failure(ExitCodes.UNREACHABLE, "unreachable");
        assertThat(o.get("option").getAsString()).isEqualTo("--coordinator");
        assertThat(o.get("hint").getAsString()).contains("came from --coordinator");

        ProcessBuilder b = new ProcessBuilder(TestNetwork.launcher("status", "--json", "--data-dir",
                dir.resolve("a").toString())).redirectError(ProcessBuilder.Redirect.DISCARD);
        b.environment().put("RHIZOME_COORDINATOR", "http://127.0.0.1:1");
        Process p = b.start();
        String answer = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).isEqualTo(ExitCodes.UNREACHABLE);
        JsonObject env = JsonParser.parseString(answer.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow())
                .getAsJsonObject();
        assertThat(env.get("hint").getAsString()).contains("RHIZOME_COORDINATOR");
    }
}
