package dev.rhizome.ops.demo;

import dev.rhizome.ops.InvalidOptionValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * @param minResults after {@code duration}, keep going until this many results are in, for at most another
 *                   {@code duration} (0: stop at {@code duration}); a slow or loaded machine still shows results
 * @param launcher the command that starts a rhizome role, e.g. {@code [java, -cp, rhizome.jar, dev.rhizome.client.Main]};
 *                 the demo appends {@code coordinator ...} or {@code node ...}
 */
public record DemoConfig(int nodes, Duration duration, int directions, int minResults, Path dataDir,
        List<String> launcher) {
    public DemoConfig {
        check(nodes, duration, directions, minResults);
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
