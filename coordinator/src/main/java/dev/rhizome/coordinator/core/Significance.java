package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.protocol.seed.Manifests;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The adoption rule. A candidate replaces a direction's frontier only when it beats it on every
 * one of the manifest's {@code adoption_seeds} random seeds taken together, paired seed by seed
 * (same seed, same budget, same hardware class): with d_i the gain at seed i (positive = better),
 * the mean gain must exceed the tolerance and {@code significance} (k) standard errors of the
 * d_i, i.e. mean(d) > k * sd(d) / sqrt(n). A win on one seed with no change elsewhere has t = 1
 * exactly, whatever n, so with k > 1 a one-seed fluke is never adopted. With one adoption seed the
 * rule is the old one: better by more than the tolerance. Pure: the coordinator decides with it
 * and {@code rhizome verify} re-derives every adoption with it.
 */
public final class Significance {
    public enum Decision {
        ADOPT, REJECT, WAIT
    }

    /** The verdict, with the paired numbers behind it (seeds in the manifest's order). */
    public record Comparison(Decision decision, List<Long> randomSeeds, List<Double> candidate, List<Double> frontier,
            double meanGain, double standardError, String reason) {
    }

    private Significance() {
    }

    /**
     * @param frontier  the frontier's decided trial metric per random seed, in one hardware class
     * @param candidate the candidate's, in the same class
     */
    public static Comparison compare(Map<Long, Double> frontier, Map<Long, Double> candidate, Manifest manifest) {
        return compare(frontier, candidate, Manifests.trialSeeds(manifest), manifest);
    }

    /**
     * The same rule at other seeds (a confirmation's, {@link ConfirmationRule}), in their order;
     * one seed there compares by the tolerance alone, as {@code adoption_seeds: 1} does.
     */
    public static Comparison compare(Map<Long, Double> frontier, Map<Long, Double> candidate, List<Long> seeds,
            Manifest manifest) {
        List<Double> c = new ArrayList<>();
        List<Double> f = new ArrayList<>();
        List<Double> gains = new ArrayList<>();
        boolean lowerIsBetter = manifest.getMetric().getLowerIsBetter();
        for (long seed : seeds) {
            Double cm = candidate.get(seed);
            Double fm = frontier.get(seed);
            if (cm == null || fm == null) {
                return new Comparison(Decision.WAIT, seeds, c, f, Double.NaN, Double.NaN,
                        "seed " + Long.toUnsignedString(seed) + " not yet decided for the "
                                + (cm == null ? "candidate" : "frontier"));
            }
            c.add(cm);
            f.add(fm);
            gains.add(lowerIsBetter ? fm - cm : cm - fm);
        }
        int n = gains.size();
        double mean = gains.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double tolerance = manifest.getMetric().getTolerance();
        if (n == 1) {
            return mean > tolerance
                    ? new Comparison(Decision.ADOPT, seeds, c, f, mean, 0, "better by more than the tolerance")
                    : new Comparison(Decision.REJECT, seeds, c, f, mean, 0, "not better by more than the tolerance");
        }
        double variance = gains.stream().mapToDouble(g -> (g - mean) * (g - mean)).sum() / (n - 1);
        double se = Math.sqrt(variance / n);
        double k = Manifests.significance(manifest);
        if (!(mean > tolerance)) {
            return new Comparison(Decision.REJECT, seeds, c, f, mean, se,
                    String.format(Locale.ROOT, "mean gain %.6g is within the tolerance %.6g", mean, tolerance));
        }
        if (!(mean > k * se)) {
            return new Comparison(Decision.REJECT, seeds, c, f, mean, se, String.format(Locale.ROOT,
                    "mean gain %.6g is not above %.3g standard errors (%.6g) over %d seeds", mean, k, se, n));
        }
        return new Comparison(Decision.ADOPT, seeds, c, f, mean, se, String.format(Locale.ROOT,
                "mean gain %.6g > %.3g x SE %.6g over %d seeds", mean, k, se, n));
    }
}
