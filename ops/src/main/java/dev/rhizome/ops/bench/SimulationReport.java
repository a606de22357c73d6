package dev.rhizome.ops.bench;

import com.google.gson.GsonBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a simulation measured. Times are virtual milliseconds since each bundle's injection.
 *
 * @param deliveredFraction       (node, bundle) pairs delivered / pairs wanted (sources excluded)
 * @param p50DeliveryMs           median delivery time over delivered pairs
 * @param p99DeliveryMs           99th percentile of the same
 * @param fullDeliveryMs          until the last pair was delivered; -1 if some never were
 * @param rounds                  most hops a bundle took from its source
 * @param amplification           bundle bytes transferred (lost and cancelled transfers included) / bytes needed
 * @param controlMessagesPerNode  gossip messages sent per node (announcements, peer exchange)
 * @param fetchesBusy             asks a holder answered BUSY (see {@link SimulationConfig#busyAsks})
 * @param wallSeconds             real time the run took
 */
public record SimulationReport(int nodes, int bundles, double deliveredFraction, long p50DeliveryMs,
        long p99DeliveryMs, long fullDeliveryMs, int rounds, double amplification, double controlMessagesPerNode,
        long fetchesFailed, long fetchesBusy, long peersBanned, double wallSeconds) implements BenchReport {

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "simulation");
        m.put("nodes", nodes);
        m.put("bundles", bundles);
        m.put("delivered_fraction", deliveredFraction);
        m.put("amplification", amplification);
        m.put("p50_delivery_ms", p50DeliveryMs);
        m.put("p99_delivery_ms", p99DeliveryMs);
        m.put("full_delivery_ms", fullDeliveryMs);
        m.put("rounds", rounds);
        m.put("control_messages_per_node", controlMessagesPerNode);
        m.put("fetches_failed", fetchesFailed);
        m.put("fetches_busy", fetchesBusy);
        m.put("peers_banned", peersBanned);
        m.put("wall_seconds", wallSeconds);
        return m;
    }

    @Override
    public String toText() {
        return String.format("%d simulated nodes, %d bundles: %.1f%% delivered, full delivery after %d ms in %d rounds, "
                        + "p50 %d ms, p99 %d ms, amplification %.2f, %.1f control messages per node, %d asks answered busy, "
                        + "%d peers banned (%.1f s)%n",
                nodes, bundles, 100 * deliveredFraction, fullDeliveryMs, rounds, p50DeliveryMs, p99DeliveryMs,
                amplification, controlMessagesPerNode, fetchesBusy, peersBanned, wallSeconds);
    }

    @Override
    public String toJson() {
        return new GsonBuilder().disableHtmlEscaping().create().toJson(toMap());
    }
}
