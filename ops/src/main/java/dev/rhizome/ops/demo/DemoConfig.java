package dev.rhizome.ops.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * @param launcher the command that starts a rhizome role, e.g. {@code [java, -cp, rhizome.jar, dev.rhizome.client.Main]};
 *                 the demo appends {@code coordinator ...} or {@code node ...}
 */
public record DemoConfig(int nodes, Duration duration, int directions, Path dataDir, List<String> launcher) {
    public DemoConfig {
        if (nodes < 1 || nodes > 32) {
            throw new IllegalArgumentException("--nodes must be 1..32, got " + nodes);
        }
        if (directions < 1 || directions > 8) {
            throw new IllegalArgumentException("--directions must be 1..8, got " + directions);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("--duration must be positive");
        }
    }
}
