package dev.rhizome.ops.demo;

import dev.rhizome.ops.InvalidOptionValue;
import dev.rhizome.ops.LoadScaledBudget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * @param minResults after {@code duration}, keep going until this many results are in, for at most another
 *                   {@code duration} on a quiet machine and longer on a loaded one ({@link #extraWait}; 0: stop
 *                   at {@code duration}); a slow or loaded machine still shows results
 * @param launcher the command that starts a rhizome role, e.g. {@code [java, -cp, rhizome.jar, dev.rhizome.client.Main]};
 *                 the demo appends {@code coordinator ...} or {@code node ...}
 */
public record DemoConfig(int nodes, Duration duration, int directions, int minResults, Path dataDir,
        List<String> launcher) {
    /**
     * No load makes the wait for {@code minResults} longer than this (or than {@code duration}, if
     * longer): the jobs of a working network end within it even at load 30 on 2 cores, so a demo
     * still without results by then has something wrong to show.
     */
    static final Duration EXTRA_WAIT_CEILING = Duration.ofMinutes(10);

    public DemoConfig {
        check(nodes, duration, directions, minResults);
    }

    /**
     * How long past {@code duration} to wait for {@code minResults} at this load average (negative:
     * unknown) on this many cores: another {@code duration} on a machine with a core to spare, as
     * many more as the load per core, up to a ceiling. A fixed second {@code duration} got no result
     * at load 30 on 2 cores, where each job runs at the lowest priority behind everything else.
     */
    public Duration extraWait(double loadAverage, int cores) {
        return extraWaitBudget().at(loadAverage, cores);
    }

    /** {@link #extraWait} at this machine's load now. */
    Duration extraWaitNow() {
        return extraWaitBudget().now();
    }

    private LoadScaledBudget extraWaitBudget() {
        return new LoadScaledBudget(duration, duration.compareTo(EXTRA_WAIT_CEILING) > 0 ? duration : EXTRA_WAIT_CEILING);
    }

    /**
     * Refuses values the demo cannot run with, so a command can check them before it makes anything
     * for the demo: `rhizome demo --nodes 0` left an empty temporary directory behind.
     */
    public static void check(int nodes, Duration duration, int directions, int minResults) {
        if (nodes < 1 || nodes > 32) {
            throw new InvalidOptionValue("--nodes", nodes, "a whole number from 1 to 32");
        }
        if (directions < 1 || directions > 8) {
            throw new InvalidOptionValue("--directions", directions, "a whole number from 1 to 8");
        }
        if (minResults < 0 || minResults > 10_000) {
            throw new InvalidOptionValue("--min-results", minResults, "a whole number from 0 to 10000");
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new InvalidOptionValue("--duration", duration.toSeconds(), "a positive number of seconds");
        }
    }
}
