package dev.rhizome.node.work;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The machine's run-queue load over the last minute ({@code /proc/loadavg}'s first field: tasks
 * running or waiting for a CPU, and in uninterruptible sleep), the tasks runnable at this moment
 * (its fourth field's first number, less the one reading it) and the cores this process may use:
 * what {@link BusyBackoff} judges whether a job would get its CPU from. The minute's average
 * trails a load that just came by most of a minute, the count of a moment is noisy: the larger of
 * the two is taken ({@link #tasks()}). The idle-only gate ({@code prefs.IdleSignals}) reads the same
 * source, so that "idle" and "busy" mean the same CPUs: a container's own where it has a quota.
 */
public record MachineLoad(double lastMinute, int runnableNow, int cores) {
    private static final Path LOADAVG = Path.of("/proc/loadavg");
    private static final CpuQuotaLoad QUOTA = CpuQuotaLoad.ofThisProcess();

    /**
     * The reading now: the cgroup's own where a CPU quota bounds this process ({@link CpuQuotaLoad}:
     * in a container the host's load average is not this node's), else the machine's; empty where
     * neither can be read (not Linux).
     */
    public static Optional<MachineLoad> read() {
        return read(QUOTA, LOADAVG, Runtime.getRuntime().availableProcessors());
    }

    static Optional<MachineLoad> read(CpuQuotaLoad quota, Path loadavg, int cores) {
        return quota.read().or(() -> read(loadavg, cores));
    }

    public static Optional<MachineLoad> read(Path loadavg, int cores) {
        try {
            String[] fields = Files.readString(loadavg, StandardCharsets.US_ASCII).trim().split(" ");
            double load = Double.parseDouble(fields[0]);
            int slash = fields[3].indexOf('/');
            int runnable = Integer.parseInt(fields[3].substring(0, slash)) - 1;
            return load >= 0 && Double.isFinite(load) && runnable >= 0
                    ? Optional.of(new MachineLoad(load, runnable, cores)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether a core stands idle besides every task that wants one (this node's jobs among them):
     * what a claim tells the coordinator as {@code core_to_spare}, since a job that starves here
     * then was not starved by the machine.
     */
    public boolean leavesACoreIdle() {
        return cores - tasks() >= 1;
    }

    /** The tasks that want a CPU, as far as the two measures tell. */
    double tasks() {
        return Math.max(lastMinute, runnableNow);
    }
}
