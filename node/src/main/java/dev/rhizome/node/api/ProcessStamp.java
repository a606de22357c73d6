package dev.rhizome.node.api;

import dev.rhizome.protocol.files.ProcessStarts;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A process named so that the name outlives it without ever naming another: its pid and its start
 * (a pid alone is used again by a later process). Written into the names of files a process keeps
 * for itself in a directory other processes share, so that each leaves the files of the living
 * alone and takes over those of the dead.
 *
 * <p>The start is the kernel's count of clock ticks from boot ({@link ProcessStarts}, written
 * {@code PID-tTICKS}) where the system tells it. The older names ({@code PID-STARTMS}, still read)
 * held the wall-clock start, which Java derives through the boot time, and that moves when the
 * clock is set: after a step (a machine whose clock is set by NTP some time after boot) every
 * process read as one started at another time, so a living agent's claims read as a dead
 * process's and were taken over.
 *
 * @param ticks whether {@code start} is clock ticks from boot (else milliseconds of the wall clock)
 */
public record ProcessStamp(long pid, long start, boolean ticks) {
    private static final Pattern NAME = Pattern.compile("(\\d{1,18})-(t?)(\\d{1,18})");

    /** A stamp of the older kind: the wall-clock start in milliseconds. */
    public ProcessStamp(long pid, long startMs) {
        this(pid, startMs, false);
    }

    /** This process. */
    public static ProcessStamp current() {
        ProcessHandle me = ProcessHandle.current();
        OptionalLong start = ProcessStarts.of(me.pid());
        return start.isPresent() ? new ProcessStamp(me.pid(), start.getAsLong(), true)
                : new ProcessStamp(me.pid(), startMsOf(me));
    }

    /** The stamp {@link #name()} wrote, or empty when {@code text} is not one. */
    public static Optional<ProcessStamp> parse(String text) {
        Matcher m = NAME.matcher(text);
        return m.matches() ? Optional.of(new ProcessStamp(Long.parseLong(m.group(1)), Long.parseLong(m.group(3)),
                !m.group(2).isEmpty())) : Optional.empty();
    }

    /** {@code PID-tTICKS} (or {@code PID-STARTMS}): digits, a letter and a dash, safe in a file name. */
    public String name() {
        return pid + (ticks ? "-t" : "-") + start;
    }

    /**
     * Whether the process still runs: its pid is alive, not a zombie, and started when this stamp
     * says. A start the system does not tell cannot tell a reused pid apart, so such a pid counts
     * as alive.
     */
    public boolean alive() {
        // alive and not a zombie (killed, not yet reaped by its parent: its pid still answers)
        if (!ProcessStarts.running(pid, ticks ? OptionalLong.of(start) : OptionalLong.empty())) {
            return false;
        }
        if (ticks) {
            return true;
        }
        long started = ProcessHandle.of(pid).map(ProcessStamp::startMsOf).orElse(0L);
        return started == 0 || start == 0 || started == start;
    }

    private static long startMsOf(ProcessHandle process) {
        return process.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }
}
