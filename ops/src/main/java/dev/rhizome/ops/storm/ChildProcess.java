package dev.rhizome.ops.storm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code rhizome} child process as the kill storms and the kill tests run one: started from a
 * command line with its output in a log file (read back for failure messages and for the lines it is
 * waited on), JVM properties put before its main class (a crash point), and ended the two ways they
 * end one: SIGKILL, waited for, or SIGTERM (its own stop) with SIGKILL after a grace. Main code, so
 * that ops' {@link CoordinatorCrash} (run from the jar) and the client's tests ({@code RealProcess},
 * {@code CoordinatorProcesses}) start and kill processes one way.
 */
public final class ChildProcess {
    private ChildProcess() {
    }

    /**
     * A builder for {@code command} with stdout and stderr in {@code log}: written anew (a wait for a
     * line sees this process's lines only), or appended to (one log across a coordinator's restarts).
     */
    public static ProcessBuilder builder(List<String> command, Path log, boolean append) {
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(append ? ProcessBuilder.Redirect.appendTo(log.toFile()) : ProcessBuilder.Redirect.to(log.toFile()));
    }

    /** Starts {@code command}, its output written anew to {@code log}. */
    public static Process start(List<String> command, Path log) throws IOException {
        return builder(command, log, false).start();
    }

    /**
     * {@code command} with {@code jvm} ("-Dk=v") put before {@code before}, the first argument that is
     * not the JVM's (its main class, or the first property the launcher put there).
     */
    public static List<String> withJvm(List<String> command, String before, String... jvm) {
        int at = command.indexOf(before);
        if (at < 0) {
            throw new IllegalArgumentException("no " + before + " in " + command);
        }
        List<String> line = new ArrayList<>(command);
        line.addAll(at, List.of(jvm));
        return line;
    }

    /** The JVM property that stops the process at crash point {@code point} ({@code protocol.CrashPoints}). */
    public static String crashPoint(String point) {
        return "-Drhizome.crash-point=" + point;
    }

    /** What the process wrote to {@code log} so far ("" before its first line). */
    public static String output(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** The last {@code n} lines of {@code log}, for a failure's message. */
    public static String tail(Path log, int n) throws IOException {
        if (!Files.exists(log)) {
            return "";
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    /** SIGKILL; whether the process was gone within {@code wait}. */
    public static boolean kill(Process p, Duration wait) throws InterruptedException {
        p.destroyForcibly();
        return p.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** SIGTERM, the process's own stop; SIGKILL if it has not stopped within {@code grace}. A null or ended one is left. */
    public static void stop(Process p, Duration grace) throws InterruptedException {
        if (p != null && p.isAlive()) {
            p.destroy();
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
