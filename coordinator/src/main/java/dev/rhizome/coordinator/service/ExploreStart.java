package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.Similarity;
import dev.rhizome.coordinator.store.Experiments;
import dev.rhizome.coordinator.store.Explorations;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.SimilarWork;
import dev.rhizome.protocol.LogSafe;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
            throw Rejection.notFound("commit " + LogSafe.of(fromCommit, 60)
                    + " is not the base or a registered experiment of direction " + direction.name());
        }
        return fromCommit;
    }

    /**
     * The work already done or under way that {@code hypothesis} resembles: the direction's recent
     * hypotheses but the claim's own ({@code ownUnit}'s), and its newest experiments. Read after the
     * claim's commit, not in its write transaction: it is advice, and comparing with a thousand
     * texts held every other writer (on SQLite, the one committer) meanwhile.
     */
    static <T extends Experiments & Explorations> List<SimilarWork> similarWork(T tx, String direction,
            String hypothesis, String ownUnit, long nowMs, Similarity.TokenSource tokensOf) {
        if (hypothesis.isBlank()) {
            return List.of();
        }
        List<Similarity.Text> candidates = new ArrayList<>();
        // one more than compared: the claim's own hypothesis is among the newest, and left out
        tx.recentHypotheses(direction, nowMs - Similarity.WINDOW_MS, COMPARED + 1).stream()
                .filter(t -> !t.unitId().equals(ownUnit)).limit(COMPARED).forEach(candidates::add);
        // The newest only, read as such: reading the direction's every experiment (16 KiB of
        // description each) to keep the last few cost each exploration's claim the whole history.
        List<Stored<Experiment>> newest = tx.newestExperiments(direction, COMPARED);
        for (Stored<Experiment> stored : newest) {
            Experiment e = stored.record();
            candidates.add(new Similarity.Text("experiment", e.getDescription(), e.getCommit(), e.getCreatedMs()));
        }
        Map<String, List<String>> registeredByUnit = registeredByUnit(newest);
        Map<String, Experiment> byCommit = new HashMap<>();
        newest.forEach(stored -> byCommit.put(stored.record().getCommit(), stored.record()));
        List<SimilarWork> similar = new ArrayList<>();
        for (Similarity.Match m : Similarity.nearDuplicates(hypothesis, candidates, REPORTED, tokensOf)) {
            Similarity.Text t = m.text();
            List<String> commits = t.commit().isEmpty()
                    ? registeredByUnit.getOrDefault(t.unitId(), List.of()) : List.of(t.commit());
            similar.add(SimilarWork.newBuilder().setKind(t.kind()).setText(t.text())
                    .setCommit(commits.isEmpty() ? "" : commits.get(0)).addAllCommits(commits)
                    .setSimilarity(m.similarity()).setTimeMs(t.timeMs())
                    .setProposer(proposerOf(tx, t, byCommit)).build());
        }
        return similar;
    }

    /**
     * Whose the work is, for the claimant to tell its own from other people's: the agent key that
     * claimed a hypothesis, or proposed an experiment; empty for the built-in explorer's.
     */
    private static ByteString proposerOf(Explorations tx, Similarity.Text t, Map<String, Experiment> byCommit) {
        if (t.commit().isEmpty()) {
            return tx.agentClaimant(t.unitId()).orElse(ByteString.EMPTY);
        }
        Experiment e = byCommit.get(t.commit());
        return e == null || e.getBuiltinExplorer() ? ByteString.EMPTY : e.getProposer();
    }

    /**
     * The commits each EXPLORE unit registered among {@code newest} (newest first), oldest first:
     * "someone tried this" leads to what came of it. Only the experiments the claim already read:
     * a hypothesis whose unit's experiments are older than those names none (the direction's
     * history is not read again on the claim's write path for them).
     */
    private static Map<String, List<String>> registeredByUnit(List<Stored<Experiment>> newest) {
        Map<String, List<String>> byUnit = new HashMap<>();
        for (int i = newest.size() - 1; i >= 0; i--) {
            Experiment e = newest.get(i).record();
            if (!e.getWorkUnitId().isEmpty()) {
                byUnit.computeIfAbsent(e.getWorkUnitId(), k -> new ArrayList<>()).add(e.getCommit());
            }
        }
        return byUnit;
    }
}
