package dev.rhizome.coordinator.store;

import java.util.List;

/** {@link Candidates} over {@code adoption_candidates}, {@code adopted_commits} and {@code adoption_candidates_kept}. */
final class CandidateRows implements Candidates {
    private final Queries q;

    CandidateRows(Queries q) {
        this.q = q;
    }

    @Override
    public void keepCandidate(String direction, String hardwareClass, String commit, double standing) {
        q.update("INSERT INTO adoption_candidates (direction, hardware_class, commit_id, experiment_seq, standing) "
                        + "SELECT ?, ?, ?, envelope_seq, ? FROM experiments WHERE commit_id = ? "
                        + "ON CONFLICT (direction, hardware_class, commit_id) DO UPDATE SET standing = excluded.standing",
                direction, hardwareClass, commit, standing, commit);
    }

    @Override
    public void dropCandidate(String direction, String hardwareClass, String commit) {
        q.write("DELETE FROM adoption_candidates WHERE direction = ? AND hardware_class = ? AND commit_id = ?",
                direction, hardwareClass, commit);
    }

    /** With each adoption ({@link AuditRows#insertAdoption}): the commit is no candidate of its direction again. */
    static void adopted(Queries q, String direction, String commit) {
        q.update("DELETE FROM adoption_candidates WHERE direction = ? AND commit_id = ?", direction, commit);
        q.update("INSERT INTO adopted_commits (direction, commit_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                direction, commit);
    }

    @Override
    public boolean wasAdopted(String direction, String commit) {
        return !q.list("SELECT 1 FROM adopted_commits WHERE direction = ? AND commit_id = ?", rs -> true,
                direction, commit).isEmpty();
    }

    @Override
    public List<String> candidatesBelow(String direction, String hardwareClass, double bound) {
        return q.list("SELECT commit_id FROM adoption_candidates WHERE direction = ? AND hardware_class = ? "
                        + "AND standing < ? ORDER BY experiment_seq",
                rs -> rs.getString(1), direction, hardwareClass, bound);
    }

    @Override
    public boolean candidatesKept(String direction) {
        return !q.list("SELECT 1 FROM adoption_candidates_kept WHERE direction = ?", rs -> true, direction).isEmpty();
    }

    @Override
    public void markCandidatesKept(String direction) {
        q.update("INSERT INTO adoption_candidates_kept (direction) VALUES (?) ON CONFLICT DO NOTHING", direction);
    }
}
