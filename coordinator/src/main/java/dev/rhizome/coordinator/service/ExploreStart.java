package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.Similarity;
import dev.rhizome.coordinator.store.Experiments;
import dev.rhizome.coordinator.store.Explorations;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.SimilarWork;
import java.util.ArrayList;
import java.util.List;

/** Where a new exploration starts, and what already done work its hypothesis resembles. */
final class ExploreStart {
    /** Hypotheses and experiments compared against a claim's hypothesis, newest first. */
    static final int COMPARED = 500;
    static final int REPORTED = 5;

    private ExploreStart() {
    }

    /**
     * The frontier, or {@code fromCommit} when the claimant asks to branch from another commit: the
     * direction's base or any experiment registered on the direction.
     */
    static String commit(Experiments tx, DirectionRecord direction, String fromCommit) {
        if (fromCommit.isEmpty() || fromCommit.equals(direction.frontier().commit())
                || fromCommit.equals(direction.direction().getBaseCommit())) {
            return fromCommit.isEmpty() ? direction.frontier().commit() : fromCommit;
        }
        boolean ofDirection = tx.experiment(fromCommit)
                .filter(e -> e.record().getDirection().equals(direction.name())).isPresent();
        if (!ofDirection) {
            throw Rejection.notFound("commit " + fromCommit + " is not the base or a registered experiment of direction "
                    + direction.name());
        }
        return fromCommit;
    }

    static <T extends Experiments & Explorations> List<SimilarWork> similarWork(T tx, String direction,
            String hypothesis, long nowMs) {
        if (hypothesis.isBlank()) {
            return List.of();
        }
        List<Similarity.Text> candidates = new ArrayList<>(
                tx.recentHypotheses(direction, nowMs - Similarity.WINDOW_MS, COMPARED));
        // The newest only, read as such: reading the direction's every experiment (16 KiB of
        // description each) to keep the last few cost each exploration's claim the whole history.
        for (Stored<Experiment> stored : tx.newestExperiments(direction, COMPARED)) {
            Experiment e = stored.record();
            candidates.add(new Similarity.Text("experiment", e.getDescription(), e.getCommit(), e.getCreatedMs()));
        }
        List<SimilarWork> similar = new ArrayList<>();
        for (Similarity.Match m : Similarity.nearDuplicates(hypothesis, candidates, REPORTED)) {
            similar.add(SimilarWork.newBuilder().setKind(m.text().kind()).setText(m.text().text())
                    .setCommit(m.text().commit()).setSimilarity(m.similarity()).setTimeMs(m.text().timeMs()).build());
        }
        return similar;
    }
}
