package dev.rhizome.node.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A process named so that the name outlives it without ever naming another: its pid and its start
 * time (a pid alone is used again by a later process). Written into the names of files a process
 * keeps for itself in a directory other processes share, so that each leaves the files of the
 * living alone and takes over those of the dead.
 */
public record ProcessStamp(long pid, long startMs) {
    private static final Pattern NAME = Pattern.compile("(\\d{1,18})-(\\d{1,18})");

    /** This process. */
    public static ProcessStamp current() {
        ProcessHandle me = ProcessHandle.current();
        return new ProcessStamp(me.pid(), startOf(me));
    }

    /** The stamp {@link #name()} wrote, or empty when {@code text} is not one. */
    public static Optional<ProcessStamp> parse(String text) {
        Matcher m = NAME.matcher(text);
        return m.matches() ? Optional.of(new ProcessStamp(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))))
                : Optional.empty();
    }

    /** {@code PID-STARTMS}: digits and a dash, safe in a file name. */
    public String name() {
        return pid + "-" + startMs;
    }

    /**
     * Whether the process still runs: its pid is alive and started when this stamp says. A start
     * time the system does not tell (0) cannot tell a reused pid apart, so such a pid counts as alive.
     */
    public boolean alive() {
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (process.isEmpty() || zombie(pid)) {
            return false;
        }
        long started = startOf(process.get());
        return started == 0 || startMs == 0 || started == startMs;
    }

    /**
     * Killed and not yet reaped by its parent (an agent's harness that kills its command and waits
     * later): it runs no more, though its pid still answers.
     */
    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // "pid (comm) S ...": the command may hold spaces and parentheses, so the state follows the last ')'
            int end = stat.lastIndexOf(')');
            return end > 0 && end + 2 < stat.length() && "ZX".indexOf(stat.charAt(end + 2)) >= 0;
        } catch (IOException | RuntimeException e) {
            return false;  // no /proc (not Linux), or gone meanwhile: isAlive said enough
        }
    }

    private static long startOf(ProcessHandle process) {
        return process.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }
}
