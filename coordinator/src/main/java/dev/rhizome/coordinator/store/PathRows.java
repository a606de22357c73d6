package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.Experiment;
import java.util.Optional;
import java.util.OptionalLong;

/** {@link AdoptedPaths} over {@code adopted_path} and {@code adopted_path_heads}. */
final class PathRows implements AdoptedPaths {
    private final Queries q;

    PathRows(Queries q) {
        this.q = q;
    }

    @Override
    public Optional<PathHead> pathHead(String direction) {
        return Queries.first(q.list("SELECT d.envelope_seq, h.frontier_commit, h.chain FROM directions d "
                        + "LEFT JOIN adopted_path_heads h ON h.direction = d.name WHERE d.name = ?",
                rs -> new PathHead(rs.getLong(1), Optional.ofNullable(rs.getString(2)), rs.getInt(3) == 1),
                direction));
    }

    @Override
    public Optional<Ancestry> ancestry(String commit) {
        return Queries.first(q.list("SELECT x.envelope_seq, e.bytes FROM experiments x "
                + "JOIN envelopes e ON e.seq = x.envelope_seq WHERE x.commit_id = ?", rs -> {
                    Experiment e = Rows.stored(rs.getBytes(2), Experiment.parser()).record();
                    return new Ancestry(rs.getLong(1), e.getParent(), e.getSecondParent());
                }, commit));
    }

    @Override
    public OptionalLong pathDepth(String direction, String commit) {
        return Queries.first(q.list("SELECT depth FROM adopted_path WHERE direction = ? AND commit_id = ?",
                rs -> rs.getLong(1), direction, commit)).map(OptionalLong::of).orElse(OptionalLong.empty());
    }

    @Override
    public Optional<Boolean> onKeptPath(String direction, String frontier, String commit) {
        return Queries.first(q.list("SELECT CASE WHEN EXISTS (SELECT 1 FROM adopted_path p "
                        + "WHERE p.direction = h.direction AND p.commit_id = ?) THEN 1 ELSE 0 END "
                        + "FROM adopted_path_heads h WHERE h.direction = ? AND h.frontier_commit = ?",
                rs -> rs.getInt(1) == 1, commit, direction, frontier));
    }

    @Override
    public void dropPathAbove(String direction, long depth) {
        q.update("DELETE FROM adopted_path WHERE direction = ? AND depth > ?", direction, depth);
    }

    @Override
    public void addToPath(String direction, String commit, long depth) {
        q.update("INSERT INTO adopted_path (direction, commit_id, depth) VALUES (?, ?, ?) "
                + "ON CONFLICT (direction, commit_id) DO UPDATE SET depth = excluded.depth", direction, commit, depth);
    }

    @Override
    public void setPathHead(String direction, String frontier, boolean chain) {
        q.update("INSERT INTO adopted_path_heads (direction, frontier_commit, chain) VALUES (?, ?, ?) "
                        + "ON CONFLICT (direction) DO UPDATE SET frontier_commit = excluded.frontier_commit, "
                        + "chain = excluded.chain", direction, frontier, chain ? 1 : 0);
    }
}
