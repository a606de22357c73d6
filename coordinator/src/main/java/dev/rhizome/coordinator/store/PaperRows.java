package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.List;

/** Papers, newest first, of one direction or all, for one transaction. */
final class PaperRows implements Papers {
    private final TransactionScope scope;
    private final Queries q;

    PaperRows(TransactionScope scope) {
        this.scope = scope;
        this.q = scope.queries;
    }

    @Override
    public void insertPaper(Paper paper, SignedEnvelope envelope, String envelopeId, long nowMs) {
        long seq = scope.insertEnvelope(envelope, envelopeId, nowMs);
        q.update("INSERT INTO papers (envelope_seq, direction) VALUES (?, ?)", seq, paper.getDirection());
    }

    @Override
    public boolean hasPaper(String envelopeId) {
        return q.count("SELECT COUNT(*) FROM papers p JOIN envelopes e ON e.seq = p.envelope_seq WHERE e.id = ?",
                envelopeId) > 0;
    }

    @Override
    public List<SignedEnvelope> papers(String direction) {
        return q.list("SELECT e.bytes FROM papers p JOIN envelopes e ON e.seq = p.envelope_seq "
                + "WHERE " + Queries.equalUnlessEmpty("p.direction", direction) + " ORDER BY p.envelope_seq DESC",
                rs -> Rows.envelope(rs.getBytes(1)), direction);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> papers(String direction, long beforeSeq, int limit) {
        String where = direction.isEmpty() ? "? = '' AND" : "p.direction = ? AND";
        return q.list("SELECT p.envelope_seq, e.bytes FROM papers p JOIN envelopes e ON e.seq = p.envelope_seq "
                        + "WHERE " + where + " p.envelope_seq < ? ORDER BY p.envelope_seq DESC LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), Rows.envelope(rs.getBytes(2))), direction, beforeSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> papersAfter(String direction, long afterSeq, int limit) {
        // papers_by_direction (direction, envelope_seq) walks one direction; all of them walk the key
        String where = direction.isEmpty() ? "? = '' AND" : "p.direction = ? AND";
        return q.list("SELECT p.envelope_seq, e.bytes FROM papers p JOIN envelopes e ON e.seq = p.envelope_seq "
                        + "WHERE " + where + " p.envelope_seq > ? ORDER BY p.envelope_seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), Rows.envelope(rs.getBytes(2))), direction, afterSeq, limit);
    }
}
