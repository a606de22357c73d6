package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.OperatorTerm;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What guards the write paths, for one transaction: the writes each key, address and everyone
 * made today (core.WriteQuota), the claim nonces already used, the keys an operator banned, and
 * the operators' terms (who could order, when).
 */
final class QuotaRows implements Quotas, Bans, OperatorTerms {
    private final Queries q;

    QuotaRows(Queries q) {
        this.q = q;
    }

    @Override
    public Map<String, Integer> writeCounts(String kind, long dayMs, List<String> scopes) {
        Map<String, Integer> counts = new HashMap<>();
        if (scopes.isEmpty()) {
            return counts;
        }
        Object[] params = new Object[scopes.size() + 2];
        params[0] = kind;
        params[1] = dayMs;
        for (int i = 0; i < scopes.size(); i++) {
            params[i + 2] = scopes.get(i);
        }
        String marks = String.join(", ", Collections.nCopies(scopes.size(), "?"));
        for (Map.Entry<String, Integer> row : q.list("SELECT scope, writes FROM write_counts WHERE kind = ? "
                + "AND day_ms = ? AND scope IN (" + marks + ")", rs -> Map.entry(rs.getString(1), rs.getInt(2)), params)) {
            counts.put(row.getKey(), row.getValue());
        }
        return counts;
    }

    @Override
    public void countWrite(String kind, long dayMs, List<String> scopes) {
        for (String scope : scopes) {
            q.update("INSERT INTO write_counts (scope, kind, day_ms, writes) VALUES (?, ?, ?, 1) "
                    + "ON CONFLICT (scope, kind, day_ms) DO UPDATE SET writes = write_counts.writes + 1",
                    scope, kind, dayMs);
        }
    }

    @Override
    public void uncountWrite(String kind, long dayMs, List<String> scopes) {
        for (String scope : scopes) {
            q.update("UPDATE write_counts SET writes = writes - 1 WHERE scope = ? AND kind = ? AND day_ms = ? "
                    + "AND writes > 0", scope, kind, dayMs);
        }
    }

    @Override
    public int forgetWriteCounts(long beforeDayMs) {
        return q.update("DELETE FROM write_counts WHERE day_ms < ?", beforeDayMs);
    }

    @Override
    public boolean useClaimNonce(ByteString node, ByteString nonce, long timeMs) {
        return q.update("INSERT INTO claim_nonces (node, nonce, time_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                node.toByteArray(), nonce.toByteArray(), timeMs) == 1;
    }

    @Override
    public int forgetClaimNonces(long beforeMs) {
        return q.update("DELETE FROM claim_nonces WHERE time_ms < ?", beforeMs);
    }

    @Override
    public boolean banKey(ByteString key, String reason, long nowMs) {
        return q.update("INSERT INTO key_bans (node, reason, banned_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                key.toByteArray(), reason, nowMs) > 0;
    }

    @Override
    public Map<ByteString, String> bannedKeys() {
        Map<ByteString, String> out = new HashMap<>();
        q.list("SELECT node, reason FROM key_bans", rs -> out.put(ByteString.copyFrom(rs.getBytes(1)), rs.getString(2)));
        return out;
    }

    @Override
    public List<OperatorTerm> operatorTerms() {
        return q.list("SELECT operator, from_ms, until_ms FROM operator_terms ORDER BY operator, from_ms",
                rs -> {
                    long until = rs.getLong(3);
                    return OperatorTerm.newBuilder().setOperator(ByteString.copyFrom(rs.getBytes(1)))
                            .setFromMs(rs.getLong(2)).setUntilMs(rs.wasNull() ? 0 : until).build();
                });
    }

    @Override
    public void openOperatorTerm(ByteString key, long fromMs) {
        q.update("INSERT INTO operator_terms (operator, from_ms) VALUES (?, ?) ON CONFLICT DO NOTHING",
                key.toByteArray(), fromMs);
    }

    @Override
    public void endOperatorTerm(ByteString key, long untilMs) {
        q.update("UPDATE operator_terms SET until_ms = ? WHERE operator = ? AND until_ms IS NULL", untilMs,
                key.toByteArray());
    }
}
