package dev.rhizome.ops.bench;

import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * The loopback gossip benchmark: the gossip core, then the flooding baseline, each on a fresh set
 * of real nodes wired the same way and fed the same bundles.
 */
public final class GossipBench {
    private static final int EVENT_LOOP_THREADS = 4;
    private static final long HISTORY_SEED = 0x4869_7374_6f72_79L;

    private GossipBench() {
    }

    public static GossipBenchReport run(GossipBenchConfig config, PrintStream progress) throws IOException, InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(EVENT_LOOP_THREADS, NioIoHandler.newFactory());
        // Its own seed, so that the graph, the injection points and the bundles are those of a run without it.
        try (HeldHistory history = HeldHistory.make(config.heldHistory(), config.bundleBytes(), config.seed() ^ HISTORY_SEED)) {
            GossipConfig defaults = GossipConfig.defaults();
            GossipConfig gossipConfig = new GossipConfig(config.degree(), Math.max(defaults.maxDegree(), 2 * config.degree()),
                    defaults.maxKnownPeers(), defaults.seenTtl(), defaults.maxSeen(), defaults.maxClockSkew(),
                    defaults.fetchStall(), defaults.maxCommitsPerInventory(), defaults.announcementsPerSecond(),
                    defaults.announcementBurst(), defaults.disconnectScore(), defaults.banScore(), defaults.banDuration(),
                    defaults.redialBase(), defaults.redialMax());
            // Node processes run for days: the figures that matter are those of compiled code. With a
            // warm-up, the cold probes are kept for reference, the gossip network first delivers an
            // untimed round, and the baselines are measured again after it, on the same warm JVM.
            if (history.size() > 0) {
                progress.printf("held history: %d commits every node holds; each bundle is a thin child of its tip%n",
                        history.size());
            }
            Probes cold = probe(config, history, group, progress, config.warmupBundles() > 0 ? "cold " : "");
            Probes[] warm = {cold};
            CountingSignatureCheck signatures = new CountingSignatureCheck();
            LoopbackRun.Outcome gossip = LoopbackRun.run("gossip", config, history, config.warmupBundles(), (identity, self) ->
                    new GossipCore(identity, self, gossipConfig, new SecureRandom(), signatures), group, progress,
                    () -> {
                        if (config.warmupBundles() > 0) {
                            warm[0] = probe(config, history, group, progress, "");
                        }
                        signatures.takeCount();
                        signatures.takeByType();
                    });
            long verifies = signatures.takeCount();
            progress.printf("gossip: the cores verified %d signatures in the timed round (its quiet second included): %s%n",
                    verifies, signatures.takeByType());
            LoopbackRun.Outcome flood = config.flood()
                    ? LoopbackRun.run("flood", config, history, FloodProtocol::new, group, progress) : null;
            return new GossipBenchReport(config, warm[0].directMs(), warm[0].rangedMs(), gossip, flood, loadAverage(),
                    config.warmupBundles() > 0 ? cold.directMs() : -1, config.warmupBundles() > 0 ? cold.rangedMs() : -1,
                    verifies);
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** One direct transfer and one ranged fetch of a bundle of the run's size (medians of a few tries). */
    private record Probes(long directMs, long rangedMs) {
    }

    private static Probes probe(GossipBenchConfig config, HeldHistory history, EventLoopGroup group, PrintStream progress,
                                String label) throws IOException, InterruptedException {
        long direct = DirectTransfer.medianMs(config.bundleBytes(), config.seed(), history, config.peerConfig(), group);
        progress.printf("%sdirect: one transfer of a %d-byte bundle between two nodes takes %d ms%n", label,
                config.bundleBytes(), direct);
        long ranged = -1;
        if (config.rangeHolders() > 1) {
            ranged = DirectTransfer.rangedMedianMs(config.bundleBytes(), config.seed(), history, config.rangeHolders(),
                    config.peerConfig(), group);
            progress.printf("%sranged: one fetch of it in pieces from %d holders at once takes %d ms%n", label,
                    config.rangeHolders(), ranged);
        }
        return new Probes(direct, ranged);
    }

    /** The machine's one-minute load average at the end of the run (-1 where the JVM cannot tell): timing context. */
    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
