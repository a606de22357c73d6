package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.cli.CommandWord;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.protocol.LoadScaledBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The `rhizome` launcher (src/main/bin/rhizome, built as client/target/rhizome beside the jar), run
 * as a real child process: short commands start with the quick JIT alone, the services (a node, a
 * coordinator) with the full one, and what the command answers and exits with passes through. The
 * JVM's own -XX:+PrintCommandLineFlags (through JAVA_OPTS, as a user passes options) shows which.
 */
class LauncherTest {
    private static final String QUICK = "-XX:TieredStopAtLevel=1";

    @TempDir
    static Path dir;
    private static Path launcher;

    @BeforeAll
    static void build() throws IOException {
        Path home = dir.resolve("dist");
        Files.createDirectories(home);
        launcher = home.resolve("rhizome");
        Files.copy(Path.of("src/main/bin/rhizome"), launcher);
        assertThat(launcher.toFile().setExecutable(true)).isTrue();
        ClassPathJar.writeRunnable(home.resolve("rhizome.jar"), Main.class.getName());
    }

    private record Run(int code, String out, String err) {
        /** Whether the JVM ran with the quick compiler alone, from the flags it printed first. */
        boolean quick() {
            String flags = out.lines().filter(l -> l.startsWith("-XX:")).findFirst().orElseThrow(
                    () -> new AssertionError("the JVM printed no flags: " + out + err));
            return flags.contains(QUICK);
        }
    }

    private static Run run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/bin/sh", launcher.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("JAVA_OPTS", "-XX:+PrintCommandLineFlags -Xmx256m -XX:+UseSerialGC");
        pb.environment().remove("RHIZOME_COORDINATOR");
        pb.environment().remove("RHIZOME_DATA_DIR");
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        Duration patience = new LoadScaledBudget(Duration.ofSeconds(60), Duration.ofSeconds(300)).now();
        if (!p.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("`rhizome " + String.join(" ", args) + "` did not end within " + patience
                    + ": " + Files.readString(out) + Files.readString(err));
        }
        Run run = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        // the script and Main (its fetch logging) share one rule for which command is a service
        assertThat(run.quick()).as("the launcher's JIT for `rhizome %s` against CommandWord", String.join(" ", args))
                .isEqualTo(!CommandWord.isService(List.of(args)));
        return run;
    }

    @Test
    void helpIsAQuickCommandAndPrintsTheCommands() throws Exception {
        Run help = run("--help");
        assertThat(help.code()).as(help.err()).isZero();
        assertThat(help.out()).contains("Where to start");
        assertThat(help.quick()).isTrue();
    }

    @Test
    void anAgentsCommandStartsQuickAndItsExitCodePassesThrough() throws Exception {
        Path data = dir.resolve("agent-data");
        Run id = run("id", "--data-dir", data.toString(), "--json");
        assertThat(id.code()).as(id.err()).isZero();
        assertThat(id.out()).contains("\"id\"");
        assertThat(id.quick()).isTrue();

        Run typo = run("claim", "--bogus", "--json");
        assertThat(typo.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(typo.out()).contains("\"error\"").contains("\"usage\"");
        assertThat(typo.quick()).isTrue();
    }

    @Test
    void aNodeGetsTheFullJitButItsQuickSubcommandsDoNot() throws Exception {
        // a node refused at its arguments still started as a node does
        Run node = run("node", "--no-such-option");
        assertThat(node.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(node.quick()).isFalse();
        Run coordinator = run("coordinator", "--no-such-option");
        assertThat(coordinator.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(coordinator.quick()).isFalse();

        // `node status` is a second's answer from a socket
        Path data = dir.resolve("no-node");
        Run status = run("node", "status", "--data-dir", data.toString(), "--json");
        assertThat(status.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(status.out()).contains("no_node");
        assertThat(status.quick()).isTrue();
        // options before the subcommand do not make it a node
        Run later = run("node", "--data-dir", data.toString(), "status", "--json");
        assertThat(later.out()).contains("no_node");
        assertThat(later.quick()).isTrue();
        assertThat(run("node", "doctor", "--help").quick()).isTrue();
        assertThat(run("node", "--help").quick()).isTrue();
    }

    @Test
    void anOptionBeforeTheCommandDoesNotHideIt() throws Exception {
        Run version = run("--version");
        assertThat(version.code()).isZero();
        assertThat(version.out()).contains("rhizome");
        assertThat(version.quick()).isTrue();
        // `rhizome --help node` is rhizome's help, not a node
        Run help = run("--help", "node");
        assertThat(help.code()).isZero();
        assertThat(help.quick()).isTrue();
    }
}
