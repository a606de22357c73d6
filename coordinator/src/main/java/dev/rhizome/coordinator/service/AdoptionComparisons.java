package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Significance;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.PairedComparison;
import dev.rhizome.protocol.seed.Manifests;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The paired comparisons an experiment's adoption is decided by, as its report shows them: an
 * agent whose commit was not adopted read "decided, not adopted" and nothing it could act on.
 * The numbers are the adoption rule's own ({@link Significance}), computed from the same decided
 * trials, in the same hardware class and against the same frontier that {@link Settlement}
 * compares the candidate with, so what the report shows is what the decision used: for a commit
 * not adopted, the current frontier at the trial seeds (each later settlement compares it with
 * that one) and, once drawn, the frontier its confirmation was paired with at its confirmation
 * seeds; for an adopted one, the numbers its adoption recorded. Reads; decides nothing.
 */
final class AdoptionComparisons {
    record Pair(Optional<PairedComparison> trials, Optional<PairedComparison> confirmation) {
        static final Pair NONE = new Pair(Optional.empty(), Optional.empty());
    }

    private AdoptionComparisons() {
    }

    static Pair of(Store.Transaction tx, DirectionRecord d, String commit, Manifest manifest, boolean adopted,
            Optional<Confirmation> confirmation) {
        if (commit.equals(d.direction().getBaseCommit())) {
            return Pair.NONE;  // compared with nothing: every candidate is compared with it
        }
        if (adopted) {
            return tx.adoptions(d.name()).stream().filter(a -> a.getCommit().equals(commit)).findFirst()
                    .map(a -> recorded(a, manifest)).orElse(Pair.NONE);
        }
        if (commit.equals(d.frontier().commit()) || !d.frontier().isMeasured()) {
            return Pair.NONE;
        }
        Settlement.TrialMetrics frontier = Settlement.trialMetrics(tx, d.frontier().commit(),
                d.frontier().hardwareClass(), manifest);
        Settlement.TrialMetrics candidate = Settlement.trialMetrics(tx, commit, frontier.hardwareClass(), manifest);
        PairedComparison trials = shown(Significance.compare(frontier.bySeed(), candidate.bySeed(), manifest),
                d.frontier().commit(), frontier.hardwareClass(), manifest);
        Optional<PairedComparison> atConfirmation = confirmation
                .filter(c -> c.getState() == Confirmation.State.CONFIRMING || c.getState() == Confirmation.State.REFUSED)
                .map(c -> {
                    // as Settlement.confirmedWinner: both sides at the drawn seeds, in the trial comparison's class
                    List<Long> seeds = c.getRandomSeedsList();
                    return shown(Significance.compare(
                            Settlement.metricsAt(tx, c.getFrontier(), c.getHardwareClass(), manifest, seeds).bySeed(),
                            Settlement.metricsAt(tx, commit, c.getHardwareClass(), manifest, seeds).bySeed(),
                            seeds, manifest), c.getFrontier(), c.getHardwareClass(), manifest);
                });
        return new Pair(Optional.of(trials), atConfirmation);
    }

    /**
     * An adoption's stored numbers, against the frontier it replaced, judged again by the rule
     * (the same metrics give the same verdict and words as when it was adopted).
     */
    private static Pair recorded(Adoption a, Manifest manifest) {
        PairedComparison trials = rejudged(a.getPrevious(), a.getHardwareClass(), a.getRandomSeedsList(),
                a.getCandidateMetricsList(), a.getFrontierMetricsList(), manifest);
        if (a.getConfirmationSeedsCount() == 0) {
            return new Pair(Optional.of(trials), Optional.empty());
        }
        return new Pair(Optional.of(trials), Optional.of(rejudged(a.getPrevious(), a.getHardwareClass(),
                a.getConfirmationSeedsList(), a.getConfirmationCandidateMetricsList(),
                a.getConfirmationFrontierMetricsList(), manifest)));
    }

    private static PairedComparison rejudged(String frontier, String hardwareClass, List<Long> seeds,
            List<Double> candidate, List<Double> frontierMetrics, Manifest manifest) {
        Map<Long, Double> c = new HashMap<>();
        Map<Long, Double> f = new HashMap<>();
        for (int i = 0; i < seeds.size() && i < candidate.size() && i < frontierMetrics.size(); i++) {
            c.put(seeds.get(i), candidate.get(i));
            f.put(seeds.get(i), frontierMetrics.get(i));
        }
        return shown(Significance.compare(f, c, seeds, manifest), frontier, hardwareClass, manifest);
    }

    static PairedComparison shown(Significance.Comparison c, String frontier, String hardwareClass,
            Manifest manifest) {
        double k = Manifests.significance(manifest);
        PairedComparison.Builder b = PairedComparison.newBuilder().setFrontier(frontier)
                .setHardwareClass(hardwareClass).addAllRandomSeeds(c.randomSeeds())
                .setSignificance(k).setTolerance(manifest.getMetric().getTolerance()).setReason(c.reason());
        if (c.decision() == Significance.Decision.WAIT) {
            return b.setDecision(PairedComparison.Decision.WAITING).build();  // the partial lists mean nothing yet
        }
        return b.setDecision(c.decision() == Significance.Decision.ADOPT ? PairedComparison.Decision.PASSED
                        : PairedComparison.Decision.NOT_PASSED)
                .addAllCandidateMetrics(c.candidate()).addAllFrontierMetrics(c.frontier())
                .setMeanGain(c.meanGain()).setStandardError(c.standardError()).setBound(k * c.standardError())
                .setSeedsCompared(c.candidate().size()).build();
    }
}
