package dev.rhizome.ops.bench;

import com.google.gson.GsonBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gossip against flooding on the same loopback network: delivery times, amplification, control
 * traffic; with the baselines measured in the same run (one direct transfer, one ranged fetch from
 * several holders) and the machine's load average. {@code flood} is null when it was skipped,
 * {@code rangedTransferMs} -1. With a warm-up round, the baselines are those measured after it and
 * the cold ones (measured first, before anything was compiled) are kept apart; -1 without one.
 * {@code coreVerifies}: the Ed25519 verifications the gossip cores made in the timed round.
 */
public record GossipBenchReport(GossipBenchConfig config, long directTransferMs, long rangedTransferMs,
                                LoopbackRun.Outcome gossip, LoopbackRun.Outcome flood, double loadAverage,
                                long coldDirectTransferMs, long coldRangedTransferMs, long coreVerifies) implements BenchReport {
    public GossipBenchReport(GossipBenchConfig config, long directTransferMs, long rangedTransferMs,
                             LoopbackRun.Outcome gossip, LoopbackRun.Outcome flood, double loadAverage) {
        this(config, directTransferMs, rangedTransferMs, gossip, flood, loadAverage, -1, -1, -1);
    }

    public GossipBenchReport(GossipBenchConfig config, long directTransferMs, LoopbackRun.Outcome gossip,
                             LoopbackRun.Outcome flood) {
        this(config, directTransferMs, -1, gossip, flood, -1);
    }

    /** Full delivery of the slowest bundle to every node over one direct transfer (the 10 MiB target is 3). */
    public double fullToDirect() {
        long full = gossip.percentileDeliveryMs(100);
        return full < 0 ? -1 : (double) full / directTransferMs;
    }

    /** p50 delivery to every node over one direct transfer of the same bundle: how many transfer times a broadcast costs. */
    public double p50ToDirect() {
        long p50 = gossip.percentileDeliveryMs(50);
        return p50 < 0 ? -1 : (double) p50 / directTransferMs;
    }


    /** The benchmark's JSON line: {@code nodes}, {@code bundles}, {@code delivered_fraction}, {@code amplification}, ... */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "loopback");
        m.put("nodes", config.nodes());
        m.put("degree", config.degree());
        m.put("bundles", config.bundles());
        m.put("bundle_bytes", config.bundleBytes());
        m.put("delivered_fraction", gossip.deliveredFraction());
        m.put("amplification", round(gossip.amplification()));
        m.put("p50_delivery_ms", gossip.percentileDeliveryMs(50));
        m.put("p99_delivery_ms", gossip.percentileDeliveryMs(99));
        m.put("direct_transfer_ms", directTransferMs);
        m.put("p50_to_direct", round(p50ToDirect()));
        m.put("full_delivery_ms", gossip.percentileDeliveryMs(100));
        m.put("full_to_direct", round(fullToDirect()));
        m.put("ranged_transfer_ms", rangedTransferMs);
        m.put("ranged_holders", rangedTransferMs < 0 ? 0 : config.rangeHolders());
        m.put("ranged_to_direct", rangedTransferMs < 0 ? -1 : round((double) rangedTransferMs / directTransferMs));
        m.put("upload_bytes_per_second", config.peerConfig().uploadBytesPerSecond());
        m.put("load_average", round(loadAverage));
        m.put("control_messages_per_node", round(gossip.controlMessagesPerNode()));
        m.put("gossip_messages_per_node", round(gossip.gossipMessagesPerNode()));
        m.put("bundle_requests_per_node", round(gossip.bundleRequestsPerNode()));
        m.put("links_per_node", round(gossip.meanLinks()));
        m.put("warmup_bundles", gossip.warmupBundles());
        m.put("cold_direct_transfer_ms", coldDirectTransferMs);
        m.put("cold_ranged_transfer_ms", coldRangedTransferMs);
        m.put("delivery_cpu_ms", Math.round(gossip.deliveryCpuMs()));
        m.put("delivery_cpu_ms_per_copy", round(gossip.deliveryCpuMsPerCopy()));
        m.put("core_verifies_per_copy", coreVerifies < 0 ? -1 : round((double) coreVerifies / gossip.copiesDelivered()));
        m.put("held_history_commits", config.heldHistory());
        if (flood == null) {
            return new GsonBuilder().disableHtmlEscaping().create().toJson(m);
        }
        m.put("flood_delivered_fraction", flood.deliveredFraction());
        m.put("flood_amplification", round(flood.amplification()));
        m.put("flood_p50_delivery_ms", flood.percentileDeliveryMs(50));
        m.put("flood_p99_delivery_ms", flood.percentileDeliveryMs(99));
        m.put("flood_control_messages_per_node", round(flood.controlMessagesPerNode()));
        m.put("flood_gossip_messages_per_node", round(flood.gossipMessagesPerNode()));
        m.put("flood_bundle_requests_per_node", round(flood.bundleRequestsPerNode()));
        m.put("flood_links_per_node", round(flood.meanLinks()));
        return new GsonBuilder().disableHtmlEscaping().create().toJson(m);
    }

    public String toText() {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%d nodes, degree %d, %d bundles of %d bytes%s%n", config.nodes(), config.degree(),
                config.bundles(), config.bundleBytes(), config.heldHistory() == 0 ? " (root commits)"
                        : String.format(", each thin on a held history of %d commits", config.heldHistory())));
        out.append(String.format("one direct transfer: %d ms; gossip p50 delivery to all = %.1f direct transfers, "
                + "full delivery = %.1f%n", directTransferMs, p50ToDirect(), fullToDirect()));
        if (rangedTransferMs >= 0) {
            out.append(String.format("one fetch in pieces from %d holders at once: %d ms (%.2f direct transfers)%n",
                    config.rangeHolders(), rangedTransferMs, (double) rangedTransferMs / directTransferMs));
        }
        if (gossip.warmupBundles() > 0) {
            out.append(String.format("after a warm-up round of %d bundles (cold, before it: direct %d ms, ranged %d ms)%n",
                    gossip.warmupBundles(), coldDirectTransferMs, coldRangedTransferMs));
        }
        out.append(String.format("delivery used %.0f ms of CPU, %.2f ms per copy delivered (both ends, all threads)%s%n",
                gossip.deliveryCpuMs(), gossip.deliveryCpuMsPerCopy(), coreVerifies < 0 ? ""
                        : String.format("; %.2f signature checks per copy", (double) coreVerifies / gossip.copiesDelivered())));
        out.append(String.format("uploads paced to %s per node; load average %.2f%n",
                config.peerConfig().uploadBytesPerSecond() == 0 ? "no cap" : (config.peerConfig().uploadBytesPerSecond() >> 20) + " MiB/s",
                loadAverage));
        out.append(String.format("%-8s %10s %10s %10s %14s %14s %12s %8s%n", "", "delivered", "p50 ms", "p99 ms",
                "amplification", "control/node", "requests/node", "links"));
        for (LoopbackRun.Outcome o : flood == null ? new LoopbackRun.Outcome[] {gossip} : new LoopbackRun.Outcome[] {gossip, flood}) {
            out.append(String.format("%-8s %9.1f%% %10s %10s %14.2f %14.1f %12.1f %8.1f%n", o.protocol(),
                    100 * o.deliveredFraction(), ms(o.percentileDeliveryMs(50)), ms(o.percentileDeliveryMs(99)),
                    o.amplification(), o.controlMessagesPerNode(), o.bundleRequestsPerNode(), o.meanLinks()));
        }
        return out.toString();
    }

    private static String ms(long value) {
        return value < 0 ? "n/a" : Long.toString(value);
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
