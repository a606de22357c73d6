package dev.rhizome.coordinator.store;

import static dev.rhizome.coordinator.store.Rows.EXPLORE;
import static dev.rhizome.coordinator.store.Rows.LEASED;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Similarity;
import dev.rhizome.proto.v1.UnderWay;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Explorations claimed, for one transaction: who explores (an agent or the built-in explorer)
 * and the hypotheses stated, which later claims in the same direction are compared against.
 */
final class ExploreClaims implements Explorations {
    private final Queries q;

    ExploreClaims(Queries q) {
        this.q = q;
    }

    @Override
    public void recordExploreClaim(String unitId, String direction, boolean builtinExplorer, String hypothesis, long nowMs) {
        q.update("INSERT INTO explore_claims (unit_id, direction, builtin_explorer, hypothesis, claimed_ms) "
                + "VALUES (?, ?, ?, ?, ?)", unitId, direction, builtinExplorer ? 1 : 0, hypothesis, nowMs);
    }

    /** Explorations leased now to agents (not the built-in explorer), by direction. */
    @Override
    public Map<String, Integer> leasedAgentExplorations() {
        Map<String, Integer> counts = new HashMap<>();
        q.list("SELECT u.direction, COUNT(*) FROM units u LEFT JOIN explore_claims c ON c.unit_id = u.id "
                        + "WHERE u.kind = ? AND u.state = ? AND COALESCE(c.builtin_explorer, 0) = 0 GROUP BY u.direction",
                rs -> counts.put(rs.getString(1), rs.getInt(2)), EXPLORE, LEASED);
        return counts;
    }

    @Override
    public List<Similarity.Text> recentHypotheses(String direction, long sinceMs, int limit) {
        return q.list("SELECT hypothesis, claimed_ms, unit_id FROM explore_claims WHERE direction = ? AND claimed_ms >= ? "
                        + "AND hypothesis <> '' ORDER BY claimed_ms DESC LIMIT ?",
                rs -> new Similarity.Text("hypothesis", rs.getString(1), "", rs.getString(3), rs.getLong(2)),
                direction, sinceMs, limit);
    }

    @Override
    public List<UnderWay> underWay(String direction, int limit) {
        return q.list("SELECT c.unit_id, c.hypothesis, u.holder, c.claimed_ms, u.lease_deadline_ms, u.commit_id "
                        + "FROM units u JOIN explore_claims c ON c.unit_id = u.id WHERE u.direction = ? AND u.kind = ? "
                        + "AND u.state = ? AND c.builtin_explorer = 0 AND c.hypothesis <> '' "
                        + "ORDER BY c.claimed_ms DESC, c.unit_id LIMIT ?",
                rs -> UnderWay.newBuilder().setUnitId(rs.getString(1)).setHypothesis(rs.getString(2))
                        .setClaimant(ByteString.copyFrom(rs.getBytes(3))).setClaimedMs(rs.getLong(4))
                        .setLeaseDeadlineMs(rs.getLong(5)).setCommit(rs.getString(6)).build(),
                direction, EXPLORE, LEASED, limit);
    }

    @Override
    public Optional<ByteString> agentClaimant(String unitId) {
        // the lease's holder: an EXPLORE unit is leased once, to the key that claimed it
        return Queries.first(q.list("SELECT l.holder FROM explore_claims c JOIN unit_leases l ON l.unit_id = c.unit_id "
                        + "WHERE c.unit_id = ? AND c.builtin_explorer = 0 ORDER BY l.leased_ms LIMIT 1",
                rs -> ByteString.copyFrom(rs.getBytes(1)), unitId));
    }
}
