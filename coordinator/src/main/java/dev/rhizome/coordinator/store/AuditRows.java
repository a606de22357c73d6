package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.List;
import java.util.Optional;

/**
 * The audit trail (every signed envelope, in the order accepted) and the adoptions decided from
 * it, for one transaction. An adoption carries the trail's length when it
 * was decided, read from the count the database keeps ({@link StoreCounters}), not by counting.
 */
final class AuditRows implements AuditTrail {
    private final TransactionScope scope;
    private final Queries q;

    AuditRows(TransactionScope scope) {
        this.scope = scope;
        this.q = scope.queries;
    }

    @Override
    public List<SignedEnvelope> auditTrail() {
        return q.list("SELECT bytes FROM envelopes ORDER BY seq", rs -> Rows.envelope(rs.getBytes(1)));
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> auditTrail(long afterSeq, int limit) {
        return q.list("SELECT seq, bytes FROM envelopes WHERE seq > ? ORDER BY seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), Rows.envelope(rs.getBytes(2))), afterSeq, limit);
    }

    @Override
    public long auditCount() {
        // a shared store counts this transaction's own envelopes only at its commit (migration 20)
        return StoreCounters.envelopes(q) + (scope.order.isShared() ? scope.envelopesStored : 0);
    }

    @Override
    public void insertAdoption(Adoption a) {
        scope.order.appendInOrder();
        q.update("INSERT INTO adoptions (direction, commit_id, adopted_ms, audit_count, bytes) VALUES (?, ?, ?, ?, ?)",
                a.getDirection(), a.getCommit(), a.getAdoptedMs(), a.getAuditCount(), a.toByteArray());
        CandidateRows.adopted(q, a.getDirection(), a.getCommit());
    }

    @Override
    public boolean keepOrder(SignedEnvelope order, String id, long nowMs) {
        if (accepted(id).isPresent()) {
            return false;
        }
        scope.insertEnvelope(order, id, nowMs);
        return true;
    }

    @Override
    public List<Adoption> adoptions(String direction) {
        return q.list("SELECT bytes FROM adoptions WHERE " + Queries.equalUnlessEmpty("direction", direction)
                        + " ORDER BY audit_count, adopted_ms", rs -> Rows.adoption(rs.getBytes(1)), direction);
    }

    @Override
    public List<Keyed<Store.AdoptionKey, Adoption>> adoptions(String direction, Optional<Store.AdoptionKey> after, int limit) {
        String sql = "SELECT bytes, audit_count, adopted_ms, direction, commit_id FROM adoptions WHERE "
                + (direction.isEmpty() ? "? = ''" : "direction = ?")
                + (after.isPresent() ? " AND (audit_count, adopted_ms, direction, commit_id) > (?, ?, ?, ?)" : "")
                + " ORDER BY audit_count, adopted_ms, direction, commit_id LIMIT ?";
        Queries.Row<Keyed<Store.AdoptionKey, Adoption>> row = rs -> new Keyed<>(new Store.AdoptionKey(rs.getLong(2),
                rs.getLong(3), rs.getString(4), rs.getString(5)), Rows.adoption(rs.getBytes(1)));
        return after.isPresent()
                ? q.list(sql, row, direction, after.get().auditCount(), after.get().adoptedMs(), after.get().direction(),
                        after.get().commit(), limit)
                : q.list(sql, row, direction, limit);
    }

    @Override
    public Optional<Accepted> accepted(String id) {
        Accepted stored = scope.envelopesAccepted.get(id);
        if (stored != null) {
            return Optional.of(stored);
        }
        return Queries.first(q.list("SELECT seq, received_ms FROM envelopes WHERE id = ?",
                rs -> new Accepted(rs.getLong(1), rs.getLong(2)), id));
    }

    @Override
    public void keepReceiptKey(ByteString key, long nowMs) {
        q.update("INSERT INTO receipt_keys (key, first_ms) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                key.toByteArray(), nowMs);
    }

    @Override
    public List<ByteString> receiptKeys() {
        return q.list("SELECT key FROM receipt_keys ORDER BY first_ms, key", rs -> ByteString.copyFrom(rs.getBytes(1)));
    }
}
