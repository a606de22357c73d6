package dev.rhizome.client.agent;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.CommitId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An experiment's outcome as the coordinator decided it, for `wait`, `submit --wait` and `agent`:
 * the metric, replicas, the deltas against its parent and the frontier, and whether it was adopted.
 * Deltas are signed so that a negative one is an improvement when lower is better.
 */
public final class Outcome {
    private Outcome() {
    }

    public static JsonObject json(String commit, ExperimentReport r) {
        Experiment e = Records.experiment(r.getExperiment());
        JsonObject o = new JsonObject();
        o.addProperty("commit", commit);
        o.addProperty("direction", e.getDirection());
        o.addProperty("parent", e.getParent());
        o.addProperty("second_parent", e.getSecondParent().isEmpty() ? null : e.getSecondParent());
        o.addProperty("decided", r.getDecided());
        o.addProperty("valid", r.getValid());
        // why no evaluation will come (no runner could fetch the commit, say): decided, yet no metric
        o.addProperty("given_up", r.getGivenUp().isEmpty() ? null : r.getGivenUp());
        o.addProperty("metric_name", r.getMetricName());
        o.addProperty("lower_is_better", r.getLowerIsBetter());
        o.addProperty("metric", r.getHasMetric() ? r.getMetric() : null);
        o.addProperty("replicas", r.getReplicas());
        o.addProperty("hardware_class", r.getHardwareClass());
        o.addProperty("parent_metric", r.getHasParentMetric() ? r.getParentMetric() : null);
        o.addProperty("delta_parent", r.getHasMetric() && r.getHasParentMetric() ? r.getMetric() - r.getParentMetric() : null);
        o.addProperty("frontier_commit", r.getFrontierCommit());
        o.addProperty("frontier_metric", r.getHasFrontierMetric() ? r.getFrontierMetric() : null);
        o.addProperty("delta_frontier", r.getHasMetric() && r.getHasFrontierMetric()
                ? r.getMetric() - r.getFrontierMetric() : null);
        o.addProperty("adopted", r.getAdopted());
        o.addProperty("pending_units", r.getPendingUnits());
        o.addProperty("leased_units", r.getLeasedUnits());
        // the coordinator's word on why the queued ones stay queued: a fact of the experiment, so in every
        // outcome (similar work, log reports), not only a wait's
        o.addProperty("waiting_for_independent_runner", !r.getDecided() && r.getWaitingForIndependentRunner());
        o.add("confirmation", r.hasConfirmation() ? confirmation(r.getConfirmation()) : JsonNull.INSTANCE);
        // the adoption rule's numbers at each stage (null where the coordinator sent none: an older one,
        // the base, an unmeasured frontier): why a commit was not adopted, by how much
        o.add("trial_comparison", r.hasTrialComparison() ? Comparisons.json(r.getTrialComparison()) : JsonNull.INSTANCE);
        o.add("confirmation_comparison", r.hasConfirmationComparison()
                ? Comparisons.json(r.getConfirmationComparison()) : JsonNull.INSTANCE);
        JsonArray statuses = new JsonArray();
        List<Result> results = Records.results(r.getResultsList());
        results.forEach(x -> statuses.add(x.getStatus().name()));
        o.add("result_statuses", statuses);
        // why each result in result_statuses measured nothing (`prepare timed out`), null for one that
        // did: a decided experiment with no metric left an agent to find it in `results --commit`
        JsonArray reasons = new JsonArray();
        results.forEach(x -> reasons.add(x.getReason().isEmpty() ? JsonNull.INSTANCE : new JsonPrimitive(Untrusted.line(x.getReason(), 500))));
        o.add("result_reasons", reasons);
        JsonArray papers = new JsonArray();
        Records.papers(r.getPapersList()).forEach(p -> papers.add(p.id()));
        o.add("papers", papers);
        return o;
    }

    /**
     * A candidate that passed at the trial seeds: the fresh seeds derived for it (drawn by the coordinator before round 23), and
     * whether it is still CONFIRMING there (its or the frontier's trials pending), CONFIRMED
     * (adopted), REFUSED (it lost there; never adopted) or SUPERSEDED (another candidate was
     * adopted meanwhile and it no longer passes the trial seeds against it; never adopted; the
     * reason says so, and frontier_commit is that new frontier).
     */
    static JsonObject confirmation(Confirmation c) {
        JsonObject o = new JsonObject();
        o.addProperty("state", c.getState().name());
        JsonArray seeds = new JsonArray();
        c.getRandomSeedsList().forEach(seeds::add);
        o.add("random_seeds", seeds);
        o.addProperty("frontier_commit", c.getFrontier());
        o.addProperty("reason", c.getReason().isEmpty() ? null : c.getReason());
        return o;
    }

    /**
     * " (3 TIMEOUT: prepare timed out)": the results' statuses and their reasons, each told once, so
     * that "no OK result" says whether the commit failed or the runners' machines were too slow.
     */
    static String failures(List<Result> results) {
        if (results.isEmpty()) {
            return "";
        }
        Map<String, Integer> counts = new TreeMap<>();
        Map<String, Set<String>> reasons = new TreeMap<>();
        for (Result x : results) {
            counts.merge(x.getStatus().name(), 1, Integer::sum);
            if (!x.getReason().isEmpty()) {
                reasons.computeIfAbsent(x.getStatus().name(), k -> new TreeSet<>()).add(Untrusted.line(x.getReason(), 120));
            }
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((status, n) -> parts.add(n + " " + status
                + (reasons.containsKey(status) ? ": " + String.join("; ", reasons.get(status)) : "")));
        return " (" + String.join(", ", parts) + ")";
    }

    /** Distinct random seeds of the OK results in the report's hardware class: what its metric averages over. */
    private static int okSeeds(ExperimentReport r) {
        Set<Long> seeds = new TreeSet<>();
        for (Result x : Records.results(r.getResultsList())) {
            if (x.getStatus() == Result.Status.OK && x.getHardwareClass().equals(r.getHardwareClass())) {
                seeds.add(x.getRandomSeed());
            }
        }
        return seeds.size();
    }

    public static String text(String commit, ExperimentReport r) {
        StringBuilder b = new StringBuilder();
        b.append(CommitId.abbreviate(commit)).append(r.getDecided() ? ": decided" : ": not decided yet");
        if (r.getHasMetric()) {
            // "over 3 replica(s)" read as three runs agreeing on one figure; it is the mean over the trial seeds
            int seeds = okSeeds(r);
            b.append(String.format(Locale.ROOT, ", %s %.6f, the mean of %d OK result(s)%s on %s%s", r.getMetricName(),
                    r.getMetric(), r.getReplicas(), seeds > 0 ? " at " + seeds + " seed(s)" : "", r.getHardwareClass(),
                    r.getValid() ? ""
                            // decided, "do not agree yet" promised a wait that never ends; the failed runs say why
                            : r.getDecided() ? ", not valid" + failures(Records.results(r.getResultsList()))
                            : " (replicas do not agree yet)"));
        } else if (r.getMetricSealed()) {
            // not "no OK result": results are in, withheld until every replica of their trials is
            b.append(", metric sealed");
        } else {
            b.append(", no OK result").append(failures(Records.results(r.getResultsList())));
        }
        if (r.getSealedResultsCount() > 0) {
            b.append("; ").append(r.getSealedResultsCount()).append(" result(s) sealed until every replica of "
                    + "their trial is in (so that no runner copies another's metric)");
        }
        if (!r.getGivenUp().isEmpty()) {
            b.append("; its evaluations were given up: ").append(r.getGivenUp());
        }
        if (r.getHasMetric() && r.getHasParentMetric()) {
            b.append(String.format(Locale.ROOT, "; parent %.6f (delta %+.6f)", r.getParentMetric(),
                    r.getMetric() - r.getParentMetric()));
        }
        if (r.getHasMetric() && r.getHasFrontierMetric()) {
            b.append(String.format(Locale.ROOT, "; frontier %s %.6f (delta %+.6f)",
                    CommitId.abbreviate(r.getFrontierCommit()), r.getFrontierMetric(), r.getMetric() - r.getFrontierMetric()));
        }
        if (r.hasConfirmation() && !r.getAdopted()) {
            Confirmation c = r.getConfirmation();
            b.append(switch (c.getState()) {
                case REFUSED -> "; passed at the trial seeds, refused at its confirmation seeds " + c.getRandomSeedsList();
                case SUPERSEDED -> "; passed at the trial seeds, then the frontier moved to "
                        + CommitId.abbreviate(c.getFrontier()) + " and it no longer passes against it (superseded: "
                        + Untrusted.line(c.getReason(), 300) + ")";
                default -> "; passed at the trial seeds, confirming at seeds " + c.getRandomSeedsList();
            });
        }
        b.append(r.getAdopted() ? "; ADOPTED" : "; not adopted");
        String why = Comparisons.whyNotAdopted(r);
        if (why != null) {
            b.append(" (").append(why).append(')');
        }
        return b.toString();
    }
}
