package dev.rhizome.ops.demo;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;

/**
 * What the demo achieved, as printed at its end; the JSON keys are a contract for outside checks
 * (add, never rename or remove).
 */
public record DemoSummary(long experiments, long results, long okResults, long validSignatures, long invalidSignatures,
        Double baselineMetric, Double bestMetric, Double entropyFloor, long bundlesFromPeers, long bundleBytesFromPeers,
        long bundleBytesFromCoordinator, List<DirectionOutcome> directions, int nodes, long leasesExpired,
        double seconds, String metricName, Path dataDir, Adoptions adoptions) {

    public record DirectionOutcome(String name, List<String> knobs, long experiments, long results, Double baseline,
            Double frontier, String frontierCommit, long adoptions, long confirming) {
    }

    /**
     * How far candidates got through the adoption pipeline when the demo ended ({@link Pipeline}).
     *
     * @param firstAdoptionSeconds when the first adoption was decided, from the demo's start; null if none
     * @param endReason            why the demo ended: {@code adoption} (the default run's rule) or {@code duration}
     */
    public record Adoptions(long confirming, long confirmed, long refused, long adoptions, Double firstAdoptionSeconds,
            String endReason) {
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
            dj.addProperty("adoptions", d.adoptions());
            dj.addProperty("confirming", d.confirming());
            details.add(dj);
        }
        o.add("direction_details", details);
        o.addProperty("nodes", nodes);
        o.addProperty("leases_expired", leasesExpired);
        o.addProperty("seconds", Math.round(seconds * 10) / 10.0);
        o.addProperty("data_dir", dataDir.toString());
        o.addProperty("confirming", adoptions.confirming());
        o.addProperty("confirmed", adoptions.confirmed());
        o.addProperty("refused_at_confirmation", adoptions.refused());
        o.addProperty("adoptions", adoptions.adoptions());
        o.addProperty("first_adoption_seconds",
                adoptions.firstAdoptionSeconds() == null ? null : Math.round(adoptions.firstAdoptionSeconds() * 10) / 10.0);
        o.addProperty("end_reason", adoptions.endReason());
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
            b.append(String.format("    %-16s knobs %-28s %3d experiments, frontier %s%s%n", d.name(), d.knobs(),
                    d.experiments(), fmt(d.frontier()), directionPipeline(d)));
        }
        b.append(pipelineInWords());
        b.append(String.format("  bundles fetched from peers %d (%d bytes); bundle bytes from the coordinator %d%n",
                bundlesFromPeers, bundleBytesFromPeers, bundleBytesFromCoordinator));
        b.append("  data directory: ").append(dataDir).append(String.format("%n"));
        return b.toString();
    }

    private static String directionPipeline(DirectionOutcome d) {
        String adopted = d.adoptions() == 0 ? "" : String.format(", %d adopted", d.adoptions());
        String confirming = d.confirming() == 0 ? "" : String.format(", %d confirming", d.confirming());
        return adopted + confirming;
    }

    /**
     * The adoption pipeline in words: what was adopted, what is still confirming and how to see it
     * decided. The old 2-minute demo ended with candidates still confirming and said nothing of them.
     */
    String pipelineInWords() {
        StringBuilder b = new StringBuilder();
        Adoptions a = adoptions;
        if (a.adoptions() > 0) {
            String how = a.confirmed() >= a.adoptions()
                    ? (a.adoptions() == 1 ? "it" : "each") + " beat its frontier at the trial seeds and again at fresh seeds"
                            + " derived from its results"
                    : a.confirmed() + " confirmed again at fresh seeds derived from their results";
            b.append(String.format("  adopted: %d new frontier%s (%s), the first after %.0f s%n", a.adoptions(),
                    a.adoptions() == 1 ? "" : "s", how, a.firstAdoptionSeconds() == null ? seconds : a.firstAdoptionSeconds()));
        } else {
            b.append(String.format("  adopted: none yet%n"));
        }
        if (a.confirming() > 0 || a.refused() > 0) {
            b.append(String.format("  confirming at fresh seeds: %d candidate%s; refused there: %d%n", a.confirming(),
                    a.confirming() == 1 ? "" : "s", a.refused()));
        }
        if (a.confirming() > 0) {
            b.append(String.format("  note: %d candidate%s still confirming when the demo ended (its runs and the frontier's"
                    + " at its fresh seeds were not all in); to see %s decided, run longer: `rhizome demo --duration 10m`%n",
                    a.confirming(), a.confirming() == 1 ? " was" : "s were", a.confirming() == 1 ? "it" : "them"));
        } else if (a.adoptions() == 0 && results > 0 && okResults == 0) {
            b.append(String.format("  note: none of the %d results was OK (a job that fails or passes the seed's timeout is"
                    + " compared with nothing; on a busy machine the jobs, run at the lowest priority, time out): see"
                    + " the nodes' logs under the data directory, and run it on a quieter machine or longer:"
                    + " `rhizome demo --duration 10m`%n", results));
        } else if (a.adoptions() == 0 && results > 0) {
            b.append(String.format("  note: no candidate passed at the trial seeds in this run; a direction adopts once a"
                    + " change beats its frontier at the trial seeds and again at fresh ones: run longer:"
                    + " `rhizome demo --duration 10m`%n"));
        }
        return b.toString();
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format("%.4f", v);
    }
}
