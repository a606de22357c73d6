package dev.rhizome.node.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Why a single-command job's run is not OK, in words for its result's reason: what stopped it (its
 * time limit, a limit of this machine, a signal, its exit status, no metric line) and the last lines
 * of its output, each stream's apart and named (standard error first: a traceback or an
 * out-of-memory error says what the proposer needs to know, and a cut reason keeps it). A harnessed run gets one from {@link HarnessedRunner}.
 * The text is the job's: made printable and cut ({@link JobText}), as it goes into a signed result.
 */
final class JobReason {
    static final int MAX_CHARS = 1000;
    static final int LAST_LINES = 5;
    private static final int MAX_LINE_CHARS = 200;
    private static final Map<Integer, String> SIGNALS = Map.of(1, "SIGHUP", 2, "SIGINT", 4, "SIGILL", 6, "SIGABRT",
            7, "SIGBUS", 8, "SIGFPE", 9, "SIGKILL", 11, "SIGSEGV", 13, "SIGPIPE", 15, "SIGTERM");

    private JobReason() {
    }

    /** What stopped a job that ended by itself, or was stopped by a limit ({@code stopped}). */
    static String of(Optional<String> stopped, int exitCode, String metricName, String stdout, String stderr) {
        String what = stopped.orElseGet(() -> exit(exitCode, metricName));
        List<String> err = lastLines(stderr);
        List<String> out = lastLines(stdout);
        if (err.isEmpty() && out.isEmpty()) {
            return JobText.printable(what + "; it printed nothing", MAX_CHARS);
        }
        String tails = (err.isEmpty() ? "" : "; its standard error's last lines: " + String.join(" | ", err))
                + (out.isEmpty() ? "" : "; its standard output's last lines: " + String.join(" | ", out));
        return JobText.printable(what + tails, MAX_CHARS);
    }

    private static String exit(int exitCode, String metricName) {
        if (exitCode == 0) {
            return "exited with status 0 without a line \"" + metricName + ": <number>\" (or with a value that is not one)";
        }
        if (exitCode > 128 && SIGNALS.containsKey(exitCode - 128)) {
            String signal = SIGNALS.get(exitCode - 128);
            return "killed by " + signal + " (exit status " + exitCode + ")"
                    + (exitCode - 128 == 9 ? ", as the kernel's out-of-memory killer kills" : "");
        }
        return exitCode < 0 ? "outlived its kill" : "exited with status " + exitCode;
    }

    /** A stream's last non-empty lines, each cut: a stack trace's end, an error's words. */
    private static List<String> lastLines(String output) {
        List<String> lines = new ArrayList<>();
        String[] all = output.split("\r?\n|\r");
        for (int i = all.length - 1; i >= 0 && lines.size() < LAST_LINES; i--) {
            String line = all[i].strip();
            if (!line.isEmpty()) {
                lines.add(0, line.length() > MAX_LINE_CHARS ? line.substring(0, MAX_LINE_CHARS) + "..." : line);
            }
        }
        return lines;
    }
}
