package dev.rhizome.client.agent;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.PairedComparison;
import dev.rhizome.protocol.CommitId;
import java.math.BigDecimal;
import java.util.Locale;

/**
 * The paired comparison an experiment's adoption was decided by, as the coordinator reports it
 * (ExperimentReport trial_comparison, confirmation_comparison): the numbers an agent whose commit
 * was not adopted acts on (how far its mean gain was from the bound it had to pass, over how many
 * seeds), in JSON and in a line of text.
 */
public final class Comparisons {
    private Comparisons() {
    }

    /** Keys: decision, frontier_commit, hardware_class, random_seeds, candidate_metrics, frontier_metrics,
     * mean_gain, standard_error, significance, bound, tolerance, seeds_compared, reason. */
    static JsonObject json(PairedComparison c) {
        JsonObject o = new JsonObject();
        o.addProperty("decision", c.getDecision().name());
        o.addProperty("frontier_commit", c.getFrontier());
        o.addProperty("hardware_class", c.getHardwareClass());
        JsonArray seeds = new JsonArray();
        c.getRandomSeedsList().forEach(seeds::add);
        o.add("random_seeds", seeds);
        JsonArray candidate = new JsonArray();
        c.getCandidateMetricsList().forEach(candidate::add);
        o.add("candidate_metrics", candidate);
        JsonArray frontier = new JsonArray();
        c.getFrontierMetricsList().forEach(frontier::add);
        o.add("frontier_metrics", frontier);
        boolean numbers = c.getDecision() == PairedComparison.Decision.PASSED
                || c.getDecision() == PairedComparison.Decision.NOT_PASSED;
        o.addProperty("mean_gain", numbers ? c.getMeanGain() : null);
        o.addProperty("standard_error", numbers ? c.getStandardError() : null);
        o.addProperty("significance", c.getSignificance());
        o.addProperty("bound", numbers ? c.getBound() : null);
        o.addProperty("tolerance", c.getTolerance());
        o.addProperty("seeds_compared", c.getSeedsCompared());
        o.addProperty("reason", c.getReason().isEmpty() ? null : Untrusted.line(c.getReason(), 300));
        return o;
    }

    /**
     * "at the trial seeds against 1a2b3c4d5e: mean gain 0.05 (SE 0.0265581) over 3 seed(s), needed above
     * 0.0531162 (2 x SE) and the tolerance 0.01: not passed". Null while the comparison waits.
     */
    static String line(String stage, PairedComparison c) {
        if (c.getDecision() != PairedComparison.Decision.PASSED && c.getDecision() != PairedComparison.Decision.NOT_PASSED) {
            return null;
        }
        return "at the " + stage + " against " + CommitId.abbreviate(c.getFrontier()) + ": mean gain "
                + number(c.getMeanGain()) + " (SE " + number(c.getStandardError()) + ") over " + c.getSeedsCompared()
                + " seed(s), needed above " + number(c.getBound()) + " (" + number(c.getSignificance())
                + " x SE) and the tolerance " + number(c.getTolerance()) + ": "
                + (c.getDecision() == PairedComparison.Decision.PASSED ? "passed" : "not passed");
    }

    /** Six significant digits, no trailing zeros: 0.06, 0.0265581, 2. */
    private static String number(double x) {
        if (!Double.isFinite(x)) {
            return String.valueOf(x);
        }
        return new BigDecimal(String.format(Locale.ROOT, "%.6g", x)).stripTrailingZeros().toPlainString();
    }

    /** The stage that kept a decided, unadopted experiment out, in a line; null when none did (yet). */
    static String whyNotAdopted(ExperimentReport r) {
        if (r.getAdopted() || !r.getDecided() || (r.hasConfirmation()
                && r.getConfirmation().getState() == dev.rhizome.proto.v1.Confirmation.State.SUPERSEDED)) {
            return null;  // a superseded one's own reason says the frontier moved and the comparison with it
        }
        if (r.hasConfirmationComparison()
                && r.getConfirmationComparison().getDecision() == PairedComparison.Decision.NOT_PASSED) {
            return line("confirmation seeds", r.getConfirmationComparison());
        }
        if (r.hasTrialComparison() && r.getTrialComparison().getDecision() == PairedComparison.Decision.NOT_PASSED) {
            return line("trial seeds", r.getTrialComparison());
        }
        return null;
    }
}
