package dev.rhizome.ops.seed;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * How long the seed's {@code java Harness.java --floor} may take: a second or two on a quiet
 * machine, past the fixed 60 s it had on one loaded far past its cores (load 20-30 on 2 cores),
 * which failed a demo whose network had done everything asked of it. The budget grows with the
 * load per core, up to a ceiling, so a hung computation is still a failure.
 */
public final class FloorBudget {
    /** The budget on a machine with a core to spare. */
    static final Duration BASE = Duration.ofSeconds(60);
    /** No load makes a computation of seconds worth waiting longer for than this. */
    static final Duration CEILING = Duration.ofMinutes(10);

    private FloorBudget() {
    }

    /** The budget at this load average (negative: unknown) on this many cores. */
    public static Duration of(double loadAverage, int cores) {
        double perCore = loadAverage < 0 || cores < 1 ? 1 : loadAverage / cores;
        double factor = Math.max(1, perCore);
        long millis = (long) Math.min(CEILING.toMillis(), BASE.toMillis() * factor);
        return Duration.ofMillis(millis);
    }

    /** The budget on this machine now. */
    public static Duration now() {
        return of(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors());
    }
}
