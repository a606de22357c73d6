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
        return run(launcher, "", args);
    }

    /** Runs the launcher {@code script} with {@code moreOpts} added to the test's JAVA_OPTS. */
    private static Run run(Path script, String moreOpts, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/bin/sh", script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("JAVA_OPTS", "-XX:+PrintCommandLineFlags -Xmx256m -XX:+UseSerialGC " + moreOpts);
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

    /**
     * The class-data sharing archive `package` records beside the jar (StartArchive) is what the
     * launcher starts with; one that no longer matches (the jar rebuilt after it, or a damaged file)
     * is passed over without a word: the command answers as it does without one, its standard
     * output still the one JSON object an agent parses.
     */
    @Test
    void theStartArchiveIsUsedAndOneThatNoLongerMatchesIsPassedOverInSilence() throws Exception {
        Path home = dir.resolve("with-archive");
        Files.createDirectories(home);
        Path script = Files.copy(launcher, home.resolve("rhizome"));
        Path jar = Files.copy(launcher.resolveSibling("rhizome.jar"), home.resolve("rhizome.jar"));
        Path archive = home.resolve("rhizome.jsa");
        record(jar, archive);
        Path data = dir.resolve("archive-data");

        Path loaded = dir.resolve("loaded-matching.txt");
        Run matching = run(script, "-Xlog:class+load:file=" + loaded, "id", "--data-dir", data.toString(), "--json");
        assertThat(matching.code()).as(matching.err()).isZero();
        assertThat(matching.out()).contains("-XX:SharedArchiveFile=" + archive);
        assertThat(Files.readString(loaded)).as("Main mapped from the archive")
                .containsPattern("dev\\.rhizome\\.client\\.Main source: shared objects file \\(top\\)");
        String answer = json(matching);
        assertThat(answer).startsWith("{").contains("\"id\"");

        // the jar rebuilt after the archive was recorded
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(
                Files.getLastModifiedTime(jar).toMillis() + 60_000));
        Path staleLoaded = dir.resolve("loaded-stale.txt");
        Run stale = run(script, "-Xlog:class+load:file=" + staleLoaded, "id", "--data-dir", data.toString(), "--json");
        assertThat(stale.code()).as(stale.err()).isZero();
        assertThat(json(stale)).isEqualTo(answer);
        assertThat(stale.err()).doesNotContain("cds").doesNotContain("warning").doesNotContain("archive");
        assertThat(Files.readString(staleLoaded)).doesNotContain("shared objects file (top)")
                .containsPattern("dev\\.rhizome\\.client\\.Main source: (jar|file)");

        Files.writeString(archive, "not an archive");
        Run damaged = run(script, "", "id", "--data-dir", data.toString(), "--json");
        assertThat(damaged.code()).as(damaged.err()).isZero();
        assertThat(json(damaged)).isEqualTo(answer);
        assertThat(damaged.err()).doesNotContain("cds").doesNotContain("warning").doesNotContain("archive");
    }

    /** Records {@code archive} of {@code jar} as the build's `package` does. */
    private static void record(Path jar, Path archive) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds=off",
                "-Xlog:cds+dynamic=off", "-cp", jar.toString(), StartArchive.class.getName())
                .redirectErrorStream(true).redirectOutput(dir.resolve("record.txt").toFile()).start();
        Duration patience = new LoadScaledBudget(Duration.ofSeconds(120), Duration.ofSeconds(600)).now();
        if (!p.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("recording the archive did not end within " + patience);
        }
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("record.txt"))).isZero();
        assertThat(archive).isNotEmptyFile();
    }

    /** The command's answer: its standard output less the flags line the JVM printed first. */
    private static String json(Run run) {
        return run.out().lines().filter(l -> !l.startsWith("-XX:")).reduce("", (a, b) -> a + b + "\n");
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
