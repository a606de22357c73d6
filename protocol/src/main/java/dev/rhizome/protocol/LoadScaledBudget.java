package dev.rhizome.protocol;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * A wait that grows with the machine's load per core, up to a ceiling: what takes seconds on a
 * quiet machine took minutes on one loaded far past its cores (load 20-30 on 2), and a fixed wait
 * failed work that was only slow. The ceiling keeps something hung a failure.
 *
 * @param base    the wait on a machine with a core to spare (or whose load is unknown)
 * @param ceiling no load makes the wait longer than this (at least {@code base})
 */
public record LoadScaledBudget(Duration base, Duration ceiling) {
    public LoadScaledBudget {
        if (base.isNegative() || ceiling.compareTo(base) < 0) {
            throw new IllegalArgumentException("a budget needs 0 <= base <= ceiling, got " + base + " and " + ceiling);
        }
    }

    /** The budget at this load average (negative: unknown) on this many cores. */
    public Duration at(double loadAverage, int cores) {
        double perCore = loadAverage < 0 || cores < 1 ? 1 : loadAverage / cores;
        double factor = Math.max(1, perCore);
        long millis = (long) Math.min(ceiling.toMillis(), base.toMillis() * factor);
        return Duration.ofMillis(millis);
    }

    /** The budget on this machine now. */
    public Duration now() {
        return at(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors());
    }
}
