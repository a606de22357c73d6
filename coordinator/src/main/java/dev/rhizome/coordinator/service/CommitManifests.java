package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Seed;
import java.util.Optional;

/**
 * One commit is measured under one manifest. Trials are keyed by commit, random seed and hardware
 * class, not by seed, so two seeds whose manifests differ (a budget, a command, a metric) at one
 * commit would share them: the second seed's baseline, or an experiment's trials, would be the
 * other manifest's runs, decided without one run of its own. Refused where the second manifest
 * arrives (a seed published, an experiment registered) rather than keying trials by seed: a commit
 * run twice under one manifest is one measurement, and sharing it there is right (a seed published
 * again under another name with the same manifest takes the trials it already has).
 */
final class CommitManifests {
    private CommitManifests() {
    }

    /** Refuses a seed at a commit another seed measures under another manifest (as its base or an experiment). */
    static void checkSeed(Store.Transaction tx, Seed seed) {
        for (Stored<Seed> other : tx.seedsAt(seed.getCommit())) {
            if (!other.record().getManifest().equals(seed.getManifest())) {
                throw conflict(seed.getCommit(), "the commit of seed " + other.record().getName());
            }
        }
        Optional<Experiment> experiment = tx.experiment(seed.getCommit()).map(Stored::record);
        if (experiment.isPresent()) {
            Optional<Manifest> theirs = tx.seed(experiment.get().getSeed()).map(s -> s.record().getManifest());
            if (theirs.isEmpty() || !theirs.get().equals(seed.getManifest())) {
                throw conflict(seed.getCommit(), "an experiment of seed " + experiment.get().getSeed());
            }
        }
    }

    /** Refuses an experiment of {@code seed} at another seed's commit when that seed's manifest differs. */
    static void checkExperiment(Store.Transaction tx, Seed seed, String commit) {
        for (Stored<Seed> other : tx.seedsAt(commit)) {
            if (!other.record().getManifest().equals(seed.getManifest())) {
                throw conflict(commit, "the commit of seed " + other.record().getName());
            }
        }
    }

    private static Rejection conflict(String commit, String what) {
        return Rejection.conflict("commit " + commit + " is already " + what + " under another manifest; trials are"
                + " keyed by commit and random seed, so the two would share runs made at one budget: use another"
                + " commit (or the same manifest)");
    }
}
