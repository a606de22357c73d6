package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.client.cli.ExitCodes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long-running commands as a script starts them: `rhizome coordinator --json` says where it
 * listens once it does, and every refusal at start, of `coordinator`, `node` and `node doctor`,
 * is the error object naming the option or the config key at fault; nothing is left behind by a
 * refused value.
 */
class ServiceCommandsJsonTest {
    @TempDir
    Path dir;

    @Test
    // above the sum of its waits (120 + 120 + 60 + 60 s, and the CLI runs between): at 180 s the
    // whole test's bound sat below what its own waits allow a loaded machine, and cut it first
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void coordinatorPrintsWhereItListensAndASecondOneOnItsDataDirectoryLeavesItAlone() throws Exception {
        Path data = dir.resolve("coordinator");
        Path stdout = dir.resolve("coordinator.out");
        Process coordinator = new ProcessBuilder(TestNetwork.launcher("coordinator", "--data-dir", data.toString(),
                "--port", "0", "--json")).redirectOutput(stdout.toFile())
                .redirectError(dir.resolve("coordinator.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(stdout).endsWith("\n") || !coordinator.isAlive());
            String line = Files.readString(stdout).strip();
            assertThat(line).as("the ready line; log: %s", Files.readString(dir.resolve("coordinator.log"))).isNotEmpty();
            JsonObject ready = JsonParser.parseString(line).getAsJsonObject();
            String url = ready.get("url").getAsString();
            assertThat(ready.get("port").getAsInt()).as("the port it took for --port 0").isPositive()
                    .isEqualTo(URI.create(url).getPort());
            assertThat(ready.get("data_dir").getAsString()).isEqualTo(data.toString());
            assertThat(Files.readString(Path.of(ready.get("url_file").getAsString())).strip()).isEqualTo(url);
            assertThat(ready.get("store").getAsString()).isEqualTo(data.resolve("coordinator.db").toString());
            assertThat(ready.getAsJsonArray("operators")).isEmpty();
            assertThat(ready.get("pid").getAsLong()).isEqualTo(coordinator.pid());
            String help = String.join(" ", Main.commandLine().getSubcommands().get("coordinator").getCommandSpec()
                    .findOption("--json").description());
            assertThat(JsonKeysTest.keys(help)).as("its help names every key it prints").containsAll(ready.keySet());
            assertThat(CliRun.of("status", "--json", "--coordinator", url).code()).as("the URL answers").isZero();

            // a node started by a script says the same of itself
            Path nodeOut = dir.resolve("node.out");
            Path nodeData = dir.resolve("node");
            Process node = new ProcessBuilder(TestNetwork.launcher("node", "--data-dir", nodeData.toString(),
                    "--coordinator", url, "--no-sandbox", "--json")).redirectOutput(nodeOut.toFile())
                    .redirectError(dir.resolve("node.log").toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(nodeOut).endsWith("\n") || !node.isAlive());
                JsonObject nodeReady = JsonParser.parseString(Files.readString(nodeOut).strip()).getAsJsonObject();
                assertThat(nodeReady.get("coordinator").getAsString()).isEqualTo(url);
                assertThat(nodeReady.get("data_dir").getAsString()).isEqualTo(nodeData.toString());
                assertThat(nodeReady.get("peer_port").getAsInt()).isPositive();
                assertThat(nodeReady.get("metrics_port").isJsonNull()).as("off by default").isTrue();
                assertThat(nodeReady.get("pid").getAsLong()).isEqualTo(node.pid());
                assertThat(CliRun.of("id", "--data-dir", nodeData.toString(), "--json").json().get("id").getAsString())
                        .isEqualTo(nodeReady.get("node_id").getAsString());
                String nodeHelp = String.join(" ", Main.commandLine().getSubcommands().get("node").getCommandSpec()
                        .findOption("--json").description());
                assertThat(JsonKeysTest.keys(nodeHelp)).as("its help names every key it prints").containsAll(nodeReady.keySet());
            } finally {
                node.destroy();
                assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
            }

            // a second one on the same data directory deleted the first one's URL file before it was refused
            CliRun second = CliRun.of("coordinator", "--data-dir", data.toString(), "--port", "0", "--json");
            JsonObject refused = second.failure(ExitCodes.FAILED, "in_use", Long.toString(coordinator.pid()));
            assertThat(refused.get("option").getAsString()).isEqualTo("--data-dir");
            assertThat(Files.readString(data.resolve("coordinator.url")).strip()).isEqualTo(url);

            coordinator.destroy();
            assertThat(coordinator.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(coordinator.exitValue()).isZero();
            assertThat(Files.readString(stdout).strip()).as("nothing after the ready line on a clean stop").isEqualTo(line);
        } finally {
            coordinator.destroyForcibly();
        }
    }

    @Test
    void coordinatorRefusalsAtStartAreErrorObjectsNamingTheFlagOrTheConfigKey() throws Exception {
        Path config = dir.resolve("coordinator.json");
        Files.writeString(config, "{\"port\": 70000}");
        assertThat(coordinator("--config", config.toString()).get("option").getAsString()).isEqualTo("port");
        Files.writeString(config, "{\"trusted_proxies\": [\"x/99\"]}");
        assertThat(coordinator("--config", config.toString()).get("option").getAsString()).isEqualTo("trusted_proxies");
        Files.writeString(config, "{\"trusted_proxies\": [\"10.0.0.0/8\"], \"trusted_proxy_header\": \"X-Real-IP\"}");
        var header = coordinator("--config", config.toString());
        assertThat(header.get("option").getAsString()).isEqualTo("trusted_proxy_header");
        assertThat(header.toString()).contains("X-Real-IP").contains("Forwarded");
        assertThat(coordinator("--store", "mysql://db/x").get("option").getAsString()).isEqualTo("--store");
        // a PostgreSQL address is checked whole before the coordinator starts (it was `failed`, exit
        // 1, option null, once the store opened), its password never shown
        String[][] stores = {{"postgresql://u:secret@127.0.0.1:1/db?typo=1", "unknown parameter 'typo'"},
            {"postgresql://u:secret@127.0.0.1:99999/db", "port 99999 is out of range"},
            {"postgresql://u:secret@127.0.0.1:1", "no database name"},
            {"postgresql://:secret@127.0.0.1:1/db", "the user before '@' is empty"}};
        for (String[] c : stores) {
            JsonObject o = coordinator("--store", c[0]);
            assertThat(o.get("option").getAsString()).as(c[0]).isEqualTo("--store");
            assertThat(o.get("message").getAsString()).as(c[0]).contains(c[1]).doesNotContain("secret");
        }
        Files.writeString(config, "{\"store\": \"postgresql://u:secret@127.0.0.1:1/db?timout=5\"}");
        JsonObject fromFile = coordinator("--config", config.toString());
        assertThat(fromFile.get("option").getAsString()).isEqualTo("store");
        assertThat(fromFile.get("message").getAsString()).contains("config file", "unknown parameter 'timout'")
                .doesNotContain("secret");
        CliRun plain = CliRun.of("coordinator", "--data-dir", dir.resolve("c").toString(), "--store",
                "postgresql://u:secret@127.0.0.1:1/db?typo=1");
        assertThat(plain.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(plain.err()).contains("--store", "unknown parameter 'typo'").doesNotContain("secret");
        assertThat(dir.resolve("c")).as("nothing made for a coordinator refused").doesNotExist();
    }

    private JsonObject coordinator(String... args) {
        List<String> all = new ArrayList<>(List.of("coordinator", "--data-dir", dir.resolve("c").toString(), "--json"));
        all.addAll(List.of(args));
        return CliRun.of(all.toArray(String[]::new)).failure(ExitCodes.USAGE, "usage");
    }

    @Test
    void nodePreferencesRefusedFromTheFileOrTheCommandLineNameTheOption() throws Exception {
        Path data = dir.resolve("node");
        Files.createDirectories(data);
        String[][] cases = {{"run-hours=evenings", "--run-hours", "'evenings'"}, {"gpus=a,b", "--gpus", "'a,b'"},
            {"idle-max-load=-1", "--idle-max-load", "'-1'"}, {"no-such-option=1", "--no-such-option", "unknown key"}};
        for (String[] c : cases) {
            Files.writeString(data.resolve("node.properties"), c[0] + "\n");
            JsonObject o = CliRun.of("node", "--data-dir", data.toString(), "--coordinator", "http://127.0.0.1:1", "--json")
                    .failure(ExitCodes.USAGE, "usage", c[2]);
            assertThat(o.get("option").getAsString()).as(c[0]).isEqualTo(c[1]);
            assertThat(o.get("message").getAsString()).as("names the file").contains(data.resolve("node.properties").toString());
        }
        Files.delete(data.resolve("node.properties"));
        JsonObject flag = CliRun.of("node", "--data-dir", data.toString(), "--run-hours", "25:00-07:00", "--json")
                .failure(ExitCodes.USAGE, "usage", "invalid value '25:00-07:00' for --run-hours: expected ");
        assertThat(flag.get("option").getAsString()).isEqualTo("--run-hours");
    }

    @Test
    void doctorTakesTheNodesPreferencesFileAsTheNodeDoes() throws Exception {
        Path data = dir.resolve("node");
        Files.createDirectories(data);
        Files.writeString(data.resolve("node.properties"), "cpu-jobs=lots\n");
        JsonObject bad = CliRun.of("node", "doctor", "--data-dir", data.toString(), "--json")
                .failure(ExitCodes.USAGE, "usage", "node.properties: invalid value 'lots' for --cpu-jobs");
        assertThat(bad.get("option").getAsString()).isEqualTo("--cpu-jobs");

        Files.writeString(data.resolve("node.properties"), "gpus=none\ncpu-jobs=3\n");
        CliRun fromFile = CliRun.of("node", "doctor", "--data-dir", data.toString(), "--json");
        JsonObject report = fromFile.last();
        if (report.get("sandbox").getAsBoolean()) {
            assertThat(report.get("slots").getAsInt()).as("the file's cpu-jobs").isEqualTo(3);
            JsonObject flag = CliRun.of("node", "doctor", "--data-dir", data.toString(), "--cpu-jobs", "2", "--json").last();
            assertThat(flag.get("slots").getAsInt()).as("the flag over the file, as `rhizome node` takes it").isEqualTo(2);
        }
    }

    /** A temporary directory is made only for values that passed: a refused one left an empty one behind. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)  // above its two processes' waits (120 s each); a hang still fails
    void aRefusedDemoOrBenchmarkLeavesNoTemporaryDirectory() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        for (String[] args : new String[][] {{"demo", "--nodes", "33", "--json"}, {"bench", "soak", "--duration", "5x", "--json"}}) {
            List<String> command = TestNetwork.launcher(args);
            command.add(command.indexOf(Main.class.getName()), "-Djava.io.tmpdir=" + tmp);
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isEqualTo(ExitCodes.USAGE);
            assertThat(JsonParser.parseString(out.strip()).getAsJsonObject().get("option").getAsString()).isEqualTo(args[args.length - 3]);
            try (Stream<Path> left = Files.list(tmp)) {
                assertThat(left.map(Path::getFileName).map(Path::toString).filter(n -> n.startsWith("rhizome-")))
                        .as(String.join(" ", args)).isEmpty();
            }
        }
    }
}
