package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.ops.storm.ChildProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real {@code rhizome} process for a kill test: started from a {@link TestNetwork} command line
 * with system properties for its JVM (a crash point), its output kept in a file the test reads in
 * its failure messages, and ended the two ways the tests end one: SIGKILL, or SIGTERM (its own stop).
 * What ops' kill storm does the same way is {@link ChildProcess}'s (main code there); this adds the
 * tests' launcher and their assertions.
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
        return ChildProcess.start(withJvm(command, jvm), log);
    }

    /** {@code command} with {@code jvm} ("-Dk=v") put before its main class. */
    static List<String> withJvm(List<String> command, String... jvm) {
        return ChildProcess.withJvm(command, "-Dlogback.configurationFile=logback.xml", jvm);
    }

    /** The JVM property that stops the process at crash point {@code point} (see {@code CrashPoints}). */
    static String crashPoint(String point) {
        return ChildProcess.crashPoint(point);
    }

    /** What a started process wrote so far ("" before its first line). */
    static String output(Path log) throws IOException {
        return ChildProcess.output(log);
    }

    /** SIGKILL, and the process gone (within 60 s) before the test goes on. */
    static void kill(Process p) throws InterruptedException {
        assertThat(ChildProcess.kill(p, Duration.ofSeconds(60))).as("process %d gone after SIGKILL", p.pid()).isTrue();
    }

    /** SIGTERM, the process's own stop; SIGKILL if it has not stopped in 60 s. */
    static void stop(Process p) throws InterruptedException {
        ChildProcess.stop(p, Duration.ofSeconds(60));
    }
}
