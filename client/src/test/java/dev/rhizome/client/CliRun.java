package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/**
 * One run of the real `rhizome` command in this JVM, as an agent sees it: the exit code, standard
 * output (where the answer goes) and standard error (where notes and progress go), both captured.
 */
record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        // built once the streams are swapped: built before, `node`'s failure line went to the
        // real standard error, not to the error writer set here
        CommandLine cli = Main.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        try {
            int code = cli.execute(args);
            cli.getOut().flush();
            cli.getErr().flush();
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8) + err);
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    /** {@link #of}, with {@code --coordinator url --data-dir dataDir} after {@code args}. */
    static CliRun at(String url, Path dataDir, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--coordinator", url, "--data-dir", dataDir.toString()));
        return of(all.toArray(String[]::new));
    }

    /**
     * One run of the packaged `rhizome` launcher as a child process, as a user's shell runs it: in
     * {@code directory} (null: this one), without RHIZOME_COORDINATOR and RHIZOME_DATA_DIR, standard
     * output and standard error captured apart.
     */
    static CliRun child(Path directory, String... args) throws IOException, InterruptedException {
        ProcessBuilder b = new ProcessBuilder(TestNetwork.launcher(args));
        if (directory != null) {
            b.directory(directory.toFile());
        }
        b.environment().remove("RHIZOME_COORDINATOR");
        b.environment().remove("RHIZOME_DATA_DIR");
        Path err = Files.createTempFile("rhizome-stderr", ".txt");
        try {
            Process p = b.redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(String.join(" ", args) + " ended").isTrue();
            return new CliRun(p.exitValue(), out, Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** This run, which exited 0 (else the test fails with its output); {@code args}: the command, for the message. */
    CliRun succeeded(String... args) {
        assertThat(code).as("rhizome %s: %s %s", String.join(" ", args), out, err).isZero();
        return this;
    }

    /** The non-blank lines of standard output, without this JVM's own logging. */
    List<String> lines() {
        return out.lines().filter(l -> !l.isBlank()).filter(l -> !isTestLog(l)).toList();
    }

    /** The one JSON object standard output must hold. */
    JsonObject json() {
        List<String> lines = lines();
        assertThat(lines).as("one JSON object on standard output; stderr: " + err).hasSize(1);
        return JsonParser.parseString(lines.get(0)).getAsJsonObject();
    }

    /** The last line of standard output as JSON (`agent --json` prints one line per round, then its summary). */
    JsonObject last() {
        List<String> lines = lines();
        assertThat(lines).as("JSON on standard output; stderr: " + err).isNotEmpty();
        return JsonParser.parseString(lines.get(lines.size() - 1)).getAsJsonObject();
    }

    /**
     * A line of this JVM's own logging. Run by `mvn test` alone (no package phase), the reactor
     * puts the coordinator's whole test-classes on the classpath, logback-test.xml included, which
     * logs to standard output, so a coordinator started here logs among the command's answer; with
     * the packaged test-jar (`mvn verify`), logs go to standard error as in a real command.
     */
    static boolean isTestLog(String line) {
        return line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[[^\\]]+\\] (TRACE|DEBUG|INFO|WARN|ERROR) .*");
    }

    /** A failure with this exit code and error name, whose hint says what to do. */
    JsonObject failure(int exitCode, String error) {
        assertThat(code).as(out + err).isEqualTo(exitCode);
        JsonObject o = json();
        assertThat(o.get("error").getAsString()).as(o.toString()).isEqualTo(error);
        assertThat(o.get("hint").getAsString()).as("every failure says what to do").isNotBlank();
        return o;
    }

    /** {@link #failure(int, String)} whose message names {@code inMessage}, in words rather than a stack trace. */
    JsonObject failure(int exitCode, String error, String inMessage) {
        JsonObject o = failure(exitCode, error);
        assertThat(o.get("message").getAsString()).contains(inMessage).doesNotContain("Exception");
        return o;
    }

    /** Publishes the slow test seed from {@code nodeDir}'s repository and opens a direction on it; returns the seed's commit. */
    static String openDirection(String coordinatorUrl, Path operatorDir, Path nodeDir, String name) throws Exception {
        CoordinatorClient operator = new CoordinatorClient(coordinatorUrl, IdentityStore.loadOrCreate(operatorDir));
        return TestNetwork.publishWithDirection(operator, nodeDir, TestNetwork.slowSeed(1, 60), name).getCommit();
    }

    /** The words a POSIX shell makes of a printed command: what the user gets by copying it. */
    static List<String> shellWords(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/bin/sh", "-c", "set -- " + command + "; printf '%s\\n' \"$@\"")
                .redirectErrorStream(true).start();
        String words = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(command + ": " + words).isZero();
        return words.lines().toList();
    }

    /** The value that follows {@code flag} in a printed command, as the shell reads it. */
    static String flagValue(String command, String flag) throws IOException, InterruptedException {
        List<String> words = shellWords(command);
        int at = words.indexOf(flag);
        assertThat(at).as(flag + " in " + words).isNotNegative();
        return words.get(at + 1);
    }

    /** The first command between backticks in a text, without its `rhizome`. */
    static String firstCommand(String text) {
        int start = text.indexOf("`rhizome ");
        assertThat(start).as("a command in: " + text).isNotNegative();
        return text.substring(start + "`rhizome ".length(), text.indexOf('`', start + 1));
    }
}
