package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.seed.Manifests;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The experiments a direction may adopt when its frontier's measurement changes, kept as their
 * results settle (migration 23) so that a frontier's settlement reads only those that could beat
 * it: it read every experiment of the direction and each one's results (a statement per
 * experiment on PostgreSQL), on the write path, at every result on a frontier commit.
 *
 * <p>A candidate is kept in a hardware class once it has a decided trial at every adoption seed
 * there (before, every comparison with it waits). Its standing is its mean, signed so that lower
 * is better, less {@link #SLACK} of its largest trial metric. {@code Significance} adopts only a
 * candidate whose mean paired gain exceeds the tolerance; that gain is the difference of the two
 * means up to rounding over at most 16 seeds, some 10^-14 of the values involved, far inside the
 * slack, so every candidate the rule could adopt stands below the frontier's bound and is read;
 * the few others read besides are compared and refused as before. What is adopted is therefore
 * what a comparison with every experiment adopts, in the same order of registration on ties.
 */
final class AdoptionCandidates {
    /** The rounding slack of a standing and a bound, relative to the values compared. */
    static final double SLACK = 1e-9;

    private AdoptionCandidates() {
    }

    /**
     * After a result on {@code commit} settled: keeps, moves or drops the commit as a candidate of
     * its experiment's direction in each hardware class it was run in (a commit adopted there, or
     * no experiment, is none).
     */
    static void refresh(Store.Transaction tx, String commit, Manifest manifest) {
        Optional<Stored<Experiment>> experiment = tx.experiment(commit);
        if (experiment.isEmpty()) {
            return;
        }
        String direction = experiment.get().record().getDirection();
        if (!tx.wasAdopted(direction, commit)) {
            keep(tx, direction, commit, manifest);
        }
    }

    private static void keep(Store.Transaction tx, String direction, String commit, Manifest manifest) {
        Set<String> classes = new LinkedHashSet<>();
        tx.resultEntries(commit).stream().filter(e -> e.result().getStatus() != Result.Status.UNFETCHABLE)
                .forEach(e -> classes.add(e.result().getHardwareClass()));
        int seeds = Manifests.trialSeeds(manifest).size();
        for (String hardwareClass : classes) {
            if (hardwareClass.isEmpty()) {
                continue;  // an empty class asks trialMetrics for the first decided one: never kept (see contenders)
            }
            Settlement.TrialMetrics m = Settlement.trialMetrics(tx, commit, hardwareClass, manifest);
            if (m.bySeed().size() == seeds) {
                tx.keepCandidate(direction, hardwareClass, commit, standing(m, manifest));
            } else {
                tx.dropCandidate(direction, hardwareClass, commit);
            }
        }
    }

    /**
     * The experiments of {@code d} whose comparison with a frontier measured as {@code frontier}
     * could adopt them, in the order registered: none while the frontier's own trials are not all
     * decided (every comparison waits), never the frontier, the base or a commit adopted before.
     * A direction opened before migration 23 has its experiments kept here first, once.
     */
    static List<String> contenders(Store.Transaction tx, DirectionRecord d, Settlement.TrialMetrics frontier,
            Manifest manifest) {
        if (frontier.bySeed().size() < Manifests.trialSeeds(manifest).size()) {
            return List.of();
        }
        if (frontier.hardwareClass().isEmpty()) {
            return everyExperiment(tx, d);  // results in no class: kept nowhere, read as before
        }
        if (!tx.candidatesKept(d.name())) {
            for (String commit : everyExperiment(tx, d)) {
                keep(tx, d.name(), commit, manifest);
            }
            tx.markCandidatesKept(d.name());
        }
        return tx.candidatesBelow(d.name(), frontier.hardwareClass(), bound(frontier, manifest)).stream()
                .filter(c -> !c.equals(d.frontier().commit()) && !c.equals(d.direction().getBaseCommit()))
                .toList();
    }

    /** Every experiment of the direction not adopted there, in the order registered: the whole history. */
    private static List<String> everyExperiment(Store.Transaction tx, DirectionRecord d) {
        Set<String> adopted = new HashSet<>();
        adopted.add(d.direction().getBaseCommit());
        adopted.add(d.frontier().commit());
        tx.adoptions(d.name()).stream().map(Adoption::getCommit).forEach(adopted::add);
        return tx.experiments(d.name()).stream().map(e -> e.record().getCommit()).filter(c -> !adopted.contains(c))
                .toList();
    }

    /** Lower is better; a candidate below the frontier's {@link #bound} may beat it. */
    static double standing(Settlement.TrialMetrics m, Manifest manifest) {
        double mean = m.mean().getAsDouble();
        double signed = manifest.getMetric().getLowerIsBetter() ? mean : -mean;
        return clamped(signed - SLACK * scale(m), -Double.MAX_VALUE);
    }

    /** The standing a candidate must be below to gain more than the tolerance, with the slack on both sides. */
    static double bound(Settlement.TrialMetrics frontier, Manifest manifest) {
        double mean = frontier.mean().getAsDouble();
        double tolerance = manifest.getMetric().getTolerance();
        double signed = manifest.getMetric().getLowerIsBetter() ? mean : -mean;
        return clamped(signed - tolerance + SLACK * (scale(frontier) + Math.abs(tolerance)), Double.MAX_VALUE);
    }

    private static double scale(Settlement.TrialMetrics m) {
        return m.bySeed().values().stream().mapToDouble(Math::abs).max().orElse(0);
    }

    /**
     * Within the finite doubles both databases store; NaN (a metric that compares as nothing)
     * becomes {@code ifNaN}: a candidate's is read (and refused by the rule), a bound reads all.
     */
    private static double clamped(double v, double ifNaN) {
        return Double.isNaN(v) ? ifNaN : Math.max(-Double.MAX_VALUE, Math.min(Double.MAX_VALUE, v));
    }
}
