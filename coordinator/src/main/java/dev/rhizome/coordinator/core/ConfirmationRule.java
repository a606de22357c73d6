package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.protocol.seed.Manifests;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The second stage of adoption. {@link Significance} at the manifest's trial seeds alone lets
 * luck through: with 3 seeds and k = 2 a neutral candidate passes about 9% of the time (t with 2
 * degrees of freedom), so among the dozens proposed a night some pass on noise, and the seeds
 * are public, so proposers (and selection itself) tune to them. A candidate that passes there is
 * therefore only confirming: the coordinator draws fresh seeds for it (a CSPRNG, after the pass,
 * once per candidate), both it and the current frontier run there, and it is adopted only when
 * the same rule passes at those seeds too. A neutral candidate's two stages are independent, so
 * the rate of false adoptions falls to about the product of the two rates (ConfirmationRuleTest
 * measures it). A loss at the confirmation seeds is final: the one draw is spent.
 *
 * <p>The confirmation pairs the candidate with the frontier at the time of the decision, at the
 * seeds drawn once: when the frontier moves meanwhile, the candidate must pass the trial seeds
 * against the new frontier and the new frontier runs at the candidate's confirmation seeds; no
 * new draw (the candidate's code is fixed, so the seeds, public once drawn, cannot be tuned to).
 * Pure: the coordinator decides with it and {@code rhizome verify} re-derives with it.
 */
public final class ConfirmationRule {
    /**
     * Confirmation seeds are drawn below this, so every seed program's RNG takes them as they are
     * (numpy's legacy seeding wants less than 2^32, a Java int is signed): 2^31 values, unknown to
     * anyone before the draw, are as good as 2^64 against tuning.
     */
    public static final long SEED_BOUND = 1L << 31;

    public enum Stage {
        /** It fails (or still waits for) the trial seeds against this frontier: nothing to confirm. */
        NOT_PASSED,
        /** It passed at the trial seeds and has no confirmation seeds yet: draw them. */
        DRAW,
        /** Confirming: a trial at a confirmation seed is not yet decided on one side. */
        CONFIRMING,
        /** It lost at the confirmation seeds: never adopted. */
        REFUSED,
        /** It passed both stages (or the confirmation is off). */
        ADOPT
    }

    /** The stage, with the comparisons behind it ({@code confirmation} is null where none was made). */
    public record Verdict(Stage stage, Significance.Comparison trials, Significance.Comparison confirmation) {
        public String reason() {
            return confirmation == null ? trials.reason()
                    : trials.reason() + "; at the confirmation seeds: " + confirmation.reason();
        }
    }

    private ConfirmationRule() {
    }

    /**
     * @param drawnSeeds the candidate's confirmation seeds, empty when none were drawn
     * @param frontierAtDrawn the frontier's decided metrics there, in the class of the trial comparison
     * @param candidateAtDrawn the candidate's
     */
    public static Verdict judge(Map<Long, Double> frontierAtTrials, Map<Long, Double> candidateAtTrials,
            List<Long> drawnSeeds, Map<Long, Double> frontierAtDrawn, Map<Long, Double> candidateAtDrawn,
            Manifest manifest) {
        Significance.Comparison trials = Significance.compare(frontierAtTrials, candidateAtTrials, manifest);
        if (trials.decision() != Significance.Decision.ADOPT) {
            return new Verdict(Stage.NOT_PASSED, trials, null);
        }
        if (Manifests.confirmationSeeds(manifest) == 0) {
            return new Verdict(Stage.ADOPT, trials, null);
        }
        if (drawnSeeds.isEmpty()) {
            return new Verdict(Stage.DRAW, trials, null);
        }
        Significance.Comparison confirmation = Significance.compare(frontierAtDrawn, candidateAtDrawn, drawnSeeds,
                manifest);
        Stage stage = switch (confirmation.decision()) {
            case ADOPT -> Stage.ADOPT;
            case WAIT -> Stage.CONFIRMING;
            case REJECT -> Stage.REFUSED;
        };
        return new Verdict(stage, trials, confirmation);
    }

    /**
     * Whether a confirming candidate is superseded by a frontier that moved while it confirmed:
     * its comparison with the new frontier at the trial seeds, when that is decided and no longer
     * a pass (then it is closed, never adopted: the frontier only moves to something better, so
     * waiting for another move would only wait for luck). Empty while it still passes (it goes on
     * confirming, paired with the new frontier at the same seeds) or the comparison waits.
     */
    public static Optional<Significance.Comparison> supersededBy(Map<Long, Double> newFrontierAtTrials,
            Map<Long, Double> candidateAtTrials, Manifest manifest) {
        Significance.Comparison c = Significance.compare(newFrontierAtTrials, candidateAtTrials, manifest);
        return c.decision() == Significance.Decision.REJECT ? Optional.of(c) : Optional.empty();
    }

    /**
     * {@code n} distinct seeds in [0, {@link #SEED_BOUND}), none of {@code taken} (the trial
     * seeds: a confirmation seed must be one nobody could have run the candidate at before).
     */
    public static List<Long> draw(RandomGenerator csprng, int n, Collection<Long> taken) {
        if (n < 0 || n > Manifests.MAX_ADOPTION_SEEDS) {
            throw new IllegalArgumentException("confirmation seeds must be 0 to " + Manifests.MAX_ADOPTION_SEEDS
                    + ", got " + n);
        }
        Set<Long> used = new HashSet<>(taken);
        List<Long> seeds = new ArrayList<>();
        while (seeds.size() < n) {
            long s = csprng.nextLong(SEED_BOUND);
            if (used.add(s)) {
                seeds.add(s);
            }
        }
        return seeds;
    }
}
