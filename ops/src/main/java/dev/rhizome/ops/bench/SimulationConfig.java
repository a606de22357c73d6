package dev.rhizome.ops.bench;

import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.ops.InvalidOptionValue;

/**
 * A simulated network: how many nodes, how they are wired, and how the wire behaves.
 *
 * @param nodes               simulated nodes
 * @param bundles             bundles injected, each at one random node
 * @param degree              bootstrap peers per node (the protocol's degree)
 * @param bundleBytes         size of every bundle
 * @param minLatencyMs        one-way message latency, drawn uniformly per message from min..max
 * @param maxLatencyMs        see minLatencyMs
 * @param loss                probability that a message, a dial or a bundle transfer is lost
 * @param bandwidthBytesPerSec each node's uplink and downlink
 * @param seed                seeds the graph, latencies, losses and every core's Random
 * @param injectAtMs          when the first bundle is injected (the mesh forms before)
 * @param staggerMs           virtual time between two injections (0: all at once)
 * @param deadlineMs          virtual time after which the run stops, delivered or not
 * @param gossip              the protocol's configuration
 * @param busyAsks            probability that an honest holder answers an ask BUSY (no bytes sent), half of
 *                            these with a retry-after hint of 1 to 10 s
 * @param busyHolders         share of the nodes that answer every ask BUSY (hint 2 s) while they announce
 *                            everything they hold, as a rogue stalling delivery would; never a bundle's source
 */
public record SimulationConfig(int nodes, int bundles, int degree, long bundleBytes, long minLatencyMs,
        long maxLatencyMs, double loss, long bandwidthBytesPerSec, long seed, long injectAtMs, long staggerMs,
        long deadlineMs, GossipConfig gossip, double busyAsks, double busyHolders) {
    /** Honest holders busy now and then, as the core's simulation tests have them since round 21. */
    public static final double DEFAULT_BUSY_ASKS = 0.05;
    /** One node in a hundred BUSY to everything, for good. */
    public static final double DEFAULT_BUSY_HOLDERS = 0.01;

    public SimulationConfig {
        if (busyAsks < 0 || busyAsks >= 1 || busyHolders < 0 || busyHolders >= 1) {
            throw new IllegalArgumentException("need 0 <= busyAsks < 1 and 0 <= busyHolders < 1");
        }
        if (nodes < 2) {
            throw new InvalidOptionValue("--nodes", nodes, "a whole number from 2");
        }
        if (bundles < 1) {
            throw new InvalidOptionValue("--bundles", bundles, "a whole number from 1");
        }
        if (degree < 1) {
            throw new InvalidOptionValue("--degree", degree, "a whole number from 1");
        }
        if (bundleBytes < 1) {
            throw new InvalidOptionValue("--bundle-bytes", bundleBytes, "a whole number from 1");
        }
        if (bandwidthBytesPerSec < 1) {
            throw new IllegalArgumentException("bandwidth must be positive, got " + bandwidthBytesPerSec);
        }
        if (minLatencyMs < 0 || maxLatencyMs < minLatencyMs || loss < 0 || loss >= 1) {
            throw new IllegalArgumentException("need 0 <= minLatency <= maxLatency and 0 <= loss < 1");
        }
    }

    /** With the default busy holders. */
    public SimulationConfig(int nodes, int bundles, int degree, long bundleBytes, long minLatencyMs, long maxLatencyMs,
            double loss, long bandwidthBytesPerSec, long seed, long injectAtMs, long staggerMs, long deadlineMs,
            GossipConfig gossip) {
        this(nodes, bundles, degree, bundleBytes, minLatencyMs, maxLatencyMs, loss, bandwidthBytesPerSec, seed, injectAtMs,
                staggerMs, deadlineMs, gossip, DEFAULT_BUSY_ASKS, DEFAULT_BUSY_HOLDERS);
    }

    public static SimulationConfig defaults() {
        GossipConfig gossip = GossipConfig.defaults();
        return new SimulationConfig(10_000, 10, gossip.degree(), 1 << 20, 10, 100, 0.01, 10_000_000, 1, 5_000, 0,
                300_000, gossip);
    }

    public SimulationConfig withNodes(int nodes) {
        return new SimulationConfig(nodes, bundles, degree, bundleBytes, minLatencyMs, maxLatencyMs, loss,
                bandwidthBytesPerSec, seed, injectAtMs, staggerMs, deadlineMs, gossip, busyAsks, busyHolders);
    }

    public SimulationConfig withBundles(int bundles) {
        return new SimulationConfig(nodes, bundles, degree, bundleBytes, minLatencyMs, maxLatencyMs, loss,
                bandwidthBytesPerSec, seed, injectAtMs, staggerMs, deadlineMs, gossip, busyAsks, busyHolders);
    }

    public SimulationConfig withSeed(long seed) {
        return new SimulationConfig(nodes, bundles, degree, bundleBytes, minLatencyMs, maxLatencyMs, loss,
                bandwidthBytesPerSec, seed, injectAtMs, staggerMs, deadlineMs, gossip, busyAsks, busyHolders);
    }

    public SimulationConfig withLoss(double loss) {
        return new SimulationConfig(nodes, bundles, degree, bundleBytes, minLatencyMs, maxLatencyMs, loss,
                bandwidthBytesPerSec, seed, injectAtMs, staggerMs, deadlineMs, gossip, busyAsks, busyHolders);
    }

    public SimulationConfig withBusy(double busyAsks, double busyHolders) {
        return new SimulationConfig(nodes, bundles, degree, bundleBytes, minLatencyMs, maxLatencyMs, loss,
                bandwidthBytesPerSec, seed, injectAtMs, staggerMs, deadlineMs, gossip, busyAsks, busyHolders);
    }
}
