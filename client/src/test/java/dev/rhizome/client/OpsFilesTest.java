package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.client.cli.PathArguments;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The files under {@code ops/systemd} that operators and volunteers copy as they are: a renamed
 * flag or config key would otherwise break them only on a server, at its next restart.
 */
class OpsFilesTest {
    private static final Path SYSTEMD = Path.of("..", "ops", "systemd").toAbsolutePath().normalize();
    private static final String JAR = "/opt/rhizome/rhizome.jar";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"rhizome-node.service", "rhizome-coordinator.service"})
    void aUnitsCommandIsOneTheCommandLineAccepts(String unit) throws IOException {
        List<String> exec = execStart(SYSTEMD.resolve(unit));
        assertThat(exec).as(unit + "'s ExecStart").contains(JAR);
        String[] args = exec.subList(exec.indexOf(JAR) + 1, exec.size()).toArray(String[]::new);
        // throws on an unknown command, option or value; a file the unit names that this machine
        // lacks (its --config in /etc/rhizome) is not what is checked here
        CommandLine.ParseResult parsed;
        try {
            parsed = Main.commandLine().parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            if (!(e.getCause() instanceof PathArguments.Problem)) {
                throw e;
            }
            parsed = Main.commandLine().parseArgs(withoutPathChecks(args));
        }
        assertThat(parsed.subcommand()).as(String.join(" ", args)).isNotNull();
        assertThat(unit).contains(parsed.subcommand().commandSpec().name());
        for (String jvmArg : exec.subList(0, exec.indexOf(JAR))) {
            if (jvmArg.startsWith("-Dlogback.configurationFile=")) {
                String config = jvmArg.substring(jvmArg.indexOf('=') + 1);
                assertThat(getClass().getClassLoader().getResource(config)).as(config + " in the jar").isNotNull();
            }
        }
    }

    /** The arguments with each --config value replaced by a file that exists here (the example config). */
    private String[] withoutPathChecks(String[] args) {
        String[] copy = args.clone();
        for (int i = 1; i < copy.length; i++) {
            if (copy[i - 1].equals("--config")) {
                copy[i] = SYSTEMD.resolve("coordinator.json").toString();
            }
        }
        return copy;
    }

    @Test
    void theExampleConfigStartsACoordinator() throws Exception {
        Path config = SYSTEMD.resolve("coordinator.json");
        // the unit's own flags, with a loopback address and a free port instead of the file's
        Process coordinator = new ProcessBuilder(TestNetwork.launcher("coordinator", "--data-dir", dir.toString(),
                "--config", config.toString(), "--host", "127.0.0.1", "--port", "0"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("coordinator.log").toFile()).start();
        try {
            Path urlFile = dir.resolve("coordinator.url");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(urlFile) || !coordinator.isAlive());
            assertThat(coordinator.isAlive()).as(Files.readString(dir.resolve("coordinator.log"))).isTrue();
            String url = Files.readString(urlFile).trim();
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(url + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            coordinator.destroy();
            assertThat(coordinator.waitFor(2, TimeUnit.MINUTES)).as("stopped on SIGTERM").isTrue();
            assertThat(coordinator.exitValue()).as(Files.readString(dir.resolve("coordinator.log"))).isZero();
        } finally {
            coordinator.destroyForcibly();
        }
    }

    /** ExecStart's words, its continuation lines joined (the units quote nothing). */
    private static List<String> execStart(Path unit) throws IOException {
        String joined = Files.readString(unit).replace("\\\n", " ");
        String line = joined.lines().filter(l -> l.startsWith("ExecStart=")).findFirst()
                .orElseThrow(() -> new AssertionError(unit + " has no ExecStart"));
        return Arrays.asList(line.substring("ExecStart=".length()).trim().split("\\s+"));
    }
}
