package dev.rhizome.ops.bench;

import java.time.Duration;

/**
 * A loopback gossip benchmark.
 *
 * @param nodes       real nodes started in this JVM
 * @param degree      neighbours per node in the random graph
 * @param bundles     bundles injected, each at a random node
 * @param bundleBytes random (incompressible) bytes in each bundle's commit
 * @param seed        seeds the graph, the injection points and the bundle contents
 * @param deadline    a run that has not delivered everything by then stops anyway
 */
public record GossipBenchConfig(int nodes, int degree, int bundles, int bundleBytes, long seed, Duration deadline) {
    public GossipBenchConfig {
        if (nodes < 2 || degree < 1 || degree >= nodes || bundles < 1 || bundleBytes < 1) {
            throw new IllegalArgumentException("need nodes >= 2, 1 <= degree < nodes, bundles >= 1, bundle bytes >= 1");
        }
    }

    public static GossipBenchConfig defaults() {
        return new GossipBenchConfig(50, 6, 10, 64 << 10, 1, Duration.ofSeconds(120));
    }
}
