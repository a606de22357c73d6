package dev.rhizome.ops.demo;

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
        if (nodes < 1 || nodes > 32) {
            throw new IllegalArgumentException("--nodes must be 1..32, got " + nodes);
        }
        if (directions < 1 || directions > 8) {
            throw new IllegalArgumentException("--directions must be 1..8, got " + directions);
        }
        if (minResults < 0 || minResults > 10_000) {
            throw new IllegalArgumentException("--min-results must be 0..10000, got " + minResults);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("--duration must be positive");
        }
    }
}
