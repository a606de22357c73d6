package dev.rhizome.ops.seed;

import dev.rhizome.protocol.LoadScaledBudget;
import java.time.Duration;

/**
 * How long the seed's {@code java Harness.java --floor} may take: a second or two on a quiet
 * machine, past the fixed 60 s it had on one loaded far past its cores (load 20-30 on 2 cores),
 * which failed a demo whose network had done everything asked of it.
 */
public final class FloorBudget {
    /** The budget on a machine with a core to spare. */
    static final Duration BASE = Duration.ofSeconds(60);
    /** No load makes a computation of seconds worth waiting longer for than this. */
    static final Duration CEILING = Duration.ofMinutes(10);
    private static final LoadScaledBudget BUDGET = new LoadScaledBudget(BASE, CEILING);

    private FloorBudget() {
    }

    /** The budget at this load average (negative: unknown) on this many cores. */
    public static Duration of(double loadAverage, int cores) {
        return BUDGET.at(loadAverage, cores);
    }

    /** The budget on this machine now. */
    public static Duration now() {
        return BUDGET.now();
    }
}
