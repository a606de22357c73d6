package dev.rhizome.ops.bench;

import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.ops.InvalidOptionValue;
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
 * @param flood       also run the flooding baseline (each node downloads each bundle about D times:
 *                    slow with large bundles)
 * @param uploadBytesPerSecond every node's upload pacing; -1 keeps the default, 0 lifts it
 * @param rangeHolders holders of the ranged-transfer baseline (one node fetching the bundle in
 *                    pieces from that many holders at once); 0 skips it
 * @param warmupBundles bundles of one untimed round delivered through the gossip network before the
 *                    timed one, with the baselines measured after it; 0 measures everything cold
 * @param heldHistory commits of one chain every node holds before the run (each of {@code bundleBytes}
 *                    random bytes, at most 64 KiB, imported one thin bundle at a time, so that each node holds one pack
 *                    a commit as a node that fetched them does); every bundle of the run is then a
 *                    child of its tip, served thin, and imported as nodes import a direction's next
 *                    experiment (prerequisites, the held boundary, a thin pack); 0: every bundle is a
 *                    root commit, as before this option (the figures of earlier rounds)
 */
public record GossipBenchConfig(int nodes, int degree, int bundles, int bundleBytes, long seed, Duration deadline,
                                boolean flood, int rangeHolders, long uploadBytesPerSecond, int warmupBundles,
                                int heldHistory) {
    /** The 10 MiB case: one bundle of 10 MiB (--bundle-bytes 10485760 --bundles 1). */
    public static final int LARGE_BUNDLE_BYTES = 10 << 20;
    /** Every node imports the held history before the links come up: a bound on that set-up's time. */
    public static final int MAX_HELD_HISTORY = 200;

    public GossipBenchConfig {
        if (nodes < 2) {
            throw new InvalidOptionValue("--nodes", nodes, "a whole number from 2");
        }
        if (degree < 1 || degree >= nodes) {
            throw new InvalidOptionValue("--degree", degree, "a whole number from 1 to " + (nodes - 1) + " (below --nodes, "
                    + nodes + ")");
        }
        if (bundles < 1) {
            throw new InvalidOptionValue("--bundles", bundles, "a whole number from 1");
        }
        if (bundleBytes < 1) {
            throw new InvalidOptionValue("--bundle-bytes", bundleBytes, "a whole number from 1");
        }
        if (rangeHolders < 0 || rangeHolders == 1 || rangeHolders > nodes) {
            throw new InvalidOptionValue("--range-holders", rangeHolders, "0 (skip) or a whole number from 2 to --nodes ("
                    + nodes + ")");
        }
        if (uploadBytesPerSecond < -1) {
            throw new InvalidOptionValue("--upload-mibps", uploadBytesPerSecond >> 20, "0 (no pacing) or a positive whole number");
        }
        if (warmupBundles < 0) {
            throw new InvalidOptionValue("--warmup-bundles", warmupBundles, "0 (no warm-up) or a positive whole number");
        }
        if (heldHistory < 0 || heldHistory > MAX_HELD_HISTORY) {
            throw new InvalidOptionValue("--held-history", heldHistory, "0 (root bundles) or a whole number up to "
                    + MAX_HELD_HISTORY);
        }
    }

    /** Without a held history: every bundle a root commit. */
    public GossipBenchConfig(int nodes, int degree, int bundles, int bundleBytes, long seed, Duration deadline,
                             boolean flood, int rangeHolders, long uploadBytesPerSecond, int warmupBundles) {
        this(nodes, degree, bundles, bundleBytes, seed, deadline, flood, rangeHolders, uploadBytesPerSecond, warmupBundles, 0);
    }

    /** With a warm-up round of as many bundles as the timed one. */
    public GossipBenchConfig(int nodes, int degree, int bundles, int bundleBytes, long seed, Duration deadline,
                             boolean flood, int rangeHolders, long uploadBytesPerSecond) {
        this(nodes, degree, bundles, bundleBytes, seed, deadline, flood, rangeHolders, uploadBytesPerSecond, bundles);
    }

    public GossipBenchConfig(int nodes, int degree, int bundles, int bundleBytes, long seed, Duration deadline) {
        this(nodes, degree, bundles, bundleBytes, seed, deadline, true, 4, -1);
    }

    /** The peer wire every node of the run uses: the defaults, with this run's upload pacing. */
    public PeerConfig peerConfig() {
        PeerConfig d = PeerConfig.defaults();
        return uploadBytesPerSecond < 0 ? d : d.withUploads(d.maxUploads(), uploadBytesPerSecond, d.uploadBurstBytes());
    }

    public static GossipBenchConfig defaults() {
        return new GossipBenchConfig(50, 6, 10, 64 << 10, 1, Duration.ofSeconds(120));
    }
}
