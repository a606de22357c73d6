package dev.rhizome.ops.demo;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;

/** What the demo achieved, as printed at its end; the JSON keys are a contract for outside checks. */
public record DemoSummary(long experiments, long results, long okResults, long validSignatures, long invalidSignatures,
        Double baselineMetric, Double bestMetric, Double entropyFloor, long bundlesFromPeers, long bundleBytesFromPeers,
        long bundleBytesFromCoordinator, List<DirectionOutcome> directions, int nodes, long leasesExpired,
        double seconds, String metricName, Path dataDir) {

    public record DirectionOutcome(String name, List<String> knobs, long experiments, long results, Double baseline,
            Double frontier, String frontierCommit) {
    }

    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("experiments", experiments);
        o.addProperty("results", results);
        o.addProperty("ok_results", okResults);
        o.addProperty("valid_signatures", validSignatures);
        o.addProperty("invalid_signatures", invalidSignatures);
        o.addProperty("metric", metricName);
        o.addProperty("baseline_metric", baselineMetric);
        o.addProperty("best_metric", bestMetric);
        o.addProperty("entropy_floor", entropyFloor);
        o.addProperty("bundles_from_peers", bundlesFromPeers);
        o.addProperty("bundle_bytes_from_peers", bundleBytesFromPeers);
        o.addProperty("bundle_bytes_from_coordinator", bundleBytesFromCoordinator);
        o.addProperty("directions", directions.size());
        JsonArray details = new JsonArray();
        for (DirectionOutcome d : directions) {
            JsonObject dj = new JsonObject();
            dj.addProperty("name", d.name());
            JsonArray knobs = new JsonArray();
            d.knobs().forEach(knobs::add);
            dj.add("knobs", knobs);
            dj.addProperty("experiments", d.experiments());
            dj.addProperty("results", d.results());
            dj.addProperty("baseline_metric", d.baseline());
            dj.addProperty("frontier_metric", d.frontier());
            dj.addProperty("frontier_commit", d.frontierCommit());
            details.add(dj);
        }
        o.add("direction_details", details);
        o.addProperty("nodes", nodes);
        o.addProperty("leases_expired", leasesExpired);
        o.addProperty("seconds", Math.round(seconds * 10) / 10.0);
        o.addProperty("data_dir", dataDir.toString());
        return new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(o);
    }

    public String toText() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("Demo finished after %.0f s with %d nodes.%n", seconds, nodes));
        b.append(String.format("  experiments %d, results %d (%d ok), signatures %d valid / %d invalid%n",
                experiments, results, okResults, validSignatures, invalidSignatures));
        b.append(String.format("  %s: baseline %s, best %s, entropy floor %s%n", metricName, fmt(baselineMetric),
                fmt(bestMetric), fmt(entropyFloor)));
        for (DirectionOutcome d : directions) {
            b.append(String.format("    %-16s knobs %-28s %3d experiments, frontier %s%n", d.name(), d.knobs(),
                    d.experiments(), fmt(d.frontier())));
        }
        b.append(String.format("  bundles fetched from peers %d (%d bytes); bundle bytes from the coordinator %d%n",
                bundlesFromPeers, bundleBytesFromPeers, bundleBytesFromCoordinator));
        b.append("  data directory: ").append(dataDir).append(String.format("%n"));
        return b.toString();
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format("%.4f", v);
    }
}
