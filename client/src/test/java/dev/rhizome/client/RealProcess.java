package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code rhizome} process for a kill test: started from a {@link TestNetwork} command line
 * with system properties for its JVM (a crash point), its output kept in a file the test reads in
 * its failure messages, and ended the two ways the tests end one: SIGKILL, or SIGTERM (its own stop).
 */
final class RealProcess {
    private RealProcess() {
    }

    /**
     * Starts {@code command} (from {@link TestNetwork#launcher} or {@link TestNetwork#nodeCommand})
     * with {@code jvm} ("-Dk=v") before its main class, its output written to {@code log} (anew: a
     * wait for a line in it sees this process's lines only).
     */
    static Process start(List<String> command, Path log, String... jvm) throws IOException {
        return new ProcessBuilder(withJvm(command, jvm)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** {@code command} with {@code jvm} ("-Dk=v") put before its main class. */
    static List<String> withJvm(List<String> command, String... jvm) {
        List<String> line = new ArrayList<>(command);
        line.addAll(line.indexOf("-Dlogback.configurationFile=logback.xml"), List.of(jvm));
        return line;
    }

    /** The JVM property that stops the process at crash point {@code point} (see {@code CrashPoints}). */
    static String crashPoint(String point) {
        return "-Drhizome.crash-point=" + point;
    }

    /** What a started process wrote so far ("" before its first line). */
    static String output(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** SIGKILL, and the process gone (within 60 s) before the test goes on. */
    static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("process %d gone after SIGKILL", p.pid()).isTrue();
    }

    /** SIGTERM, the process's own stop; SIGKILL if it has not stopped in 60 s. */
    static void stop(Process p) throws InterruptedException {
        if (p != null && p.isAlive()) {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
