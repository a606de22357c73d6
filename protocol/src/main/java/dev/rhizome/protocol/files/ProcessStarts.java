package dev.rhizome.protocol.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * When a process started, as Linux counts it: the clock ticks from boot to its start, field 22 of
 * {@code /proc/PID/stat}. With its pid it names a process for good, where a pid alone is used again
 * by a later process (after a long run, or a restart of a container whose processes get the same
 * small pids). Read from the kernel's own count rather than {@code ProcessHandle.Info.startInstant}:
 * that converts it to wall-clock time through the boot time, which moves when the clock is set, so
 * one process could read as two. Empty where there is no {@code /proc} (not Linux) or the process is gone.
 */
public final class ProcessStarts {
    private ProcessStarts() {
    }

    /** This process's start. */
    public static OptionalLong current() {
        return of(ProcessHandle.current().pid());
    }

    /** The start of process {@code pid}, or empty when it is gone or the system does not tell. */
    public static OptionalLong of(long pid) {
        String[] fields = statAfterCommand(pid);
        // after ')': state is field 3, so starttime (field 22) is index 19
        if (fields == null || fields.length < 20) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(fields[19]));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Whether process {@code pid} runs: alive, not a zombie (killed and not yet reaped by its parent,
     * it runs no more though its pid still answers), and, when {@code start} is given and the
     * system tells, started then.
     */
    public static boolean running(long pid, OptionalLong start) {
        if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) {
            return false;
        }
        String[] fields = statAfterCommand(pid);
        if (fields == null) {
            return true;  // no /proc: isAlive said all there is
        }
        if (fields.length > 0 && ("Z".equals(fields[0]) || "X".equals(fields[0]))) {
            return false;
        }
        OptionalLong now = of(pid);
        return start.isEmpty() || now.isEmpty() || now.getAsLong() == start.getAsLong();
    }

    /** The fields of {@code /proc/PID/stat} after the command, which may hold spaces and parentheses. */
    private static String[] statAfterCommand(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int end = stat.lastIndexOf(')');
            if (end < 0 || end + 2 >= stat.length()) {
                return null;
            }
            return stat.substring(end + 2).trim().split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
