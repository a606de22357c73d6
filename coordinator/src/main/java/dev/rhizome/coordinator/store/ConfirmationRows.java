package dev.rhizome.coordinator.store;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.SeedCommitment;
import java.util.List;
import java.util.Optional;

/** {@link Confirmations} over {@code confirmations}: the record as bytes, keyed by the candidate commit. */
final class ConfirmationRows implements Confirmations {
    private final Queries q;
    private final SeedCache shared;
    /** Set once this transaction inserts a commitment: until it commits, what it reads is not shared. */
    private boolean insertedCommitment;

    ConfirmationRows(Queries q, SeedCache shared) {
        this.q = q;
        this.shared = shared;
    }

    @Override
    public void saveConfirmation(Confirmation c) {
        Optional<Confirmation> kept = confirmation(c.getCommit());
        if (kept.isPresent() && !sameChoice(kept.get(), c)) {
            // one choice per candidate: a second would be a second chance at luck
            throw new IllegalStateException("the confirmation seeds of " + c.getCommit() + " were chosen once ("
                    + kept.get().getRandomSeedsList() + ", " + kept.get().getDerivation() + "); another choice ("
                    + c.getRandomSeedsList() + ", " + c.getDerivation() + ") is refused");
        }
        q.update("INSERT INTO confirmations (commit_id, direction, drawn_ms, audit_count, state, bytes) "
                        + "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (commit_id) DO UPDATE SET state = excluded.state, "
                        + "bytes = excluded.bytes",
                c.getCommit(), c.getDirection(), c.getDrawnMs(), c.getAuditCount(), c.getStateValue(), c.toByteArray());
    }

    @Override
    public Optional<Confirmation> confirmation(String commit) {
        return Queries.first(q.list("SELECT bytes FROM confirmations WHERE commit_id = ?",
                rs -> parse(rs.getBytes(1)), commit));
    }

    @Override
    public List<Confirmation> confirmations(String direction) {
        return q.list("SELECT bytes FROM confirmations WHERE " + Queries.equalUnlessEmpty("direction", direction)
                + " ORDER BY audit_count, drawn_ms, commit_id", rs -> parse(rs.getBytes(1)), direction);
    }

    @Override
    public List<Confirmation> confirmations(String direction, ListKey after, int rows) {
        return q.list("SELECT bytes FROM confirmations WHERE " + Queries.equalUnlessEmpty("direction", direction)
                        + AFTER_KEY + " ORDER BY audit_count, commit_id LIMIT ?", rs -> parse(rs.getBytes(1)),
                direction, after.auditCount(), after.auditCount(), after.commit(), rows);
    }

    /** The rows after a {@link ListKey}: its audit count, then its commit. */
    private static final String AFTER_KEY = " AND (audit_count > ? OR (audit_count = ? AND commit_id > ?))";

    @Override
    public List<Confirmation> openConfirmations(String direction) {
        return q.list("SELECT bytes FROM confirmations WHERE direction = ? AND state = ? "
                        + "ORDER BY audit_count, drawn_ms, commit_id", rs -> parse(rs.getBytes(1)), direction,
                Confirmation.State.CONFIRMING_VALUE);
    }

    @Override
    public SeedCommitment commitSeedSecret(SeedCommitment c, byte[] secret) {
        insertedCommitment = true;
        q.update("INSERT INTO seed_commitments (commit_id, direction, audit_count, committed_ms, commitment, secret) "
                        + "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (commit_id) DO NOTHING",
                c.getCommit(), c.getDirection(), c.getAuditCount(), c.getCommittedMs(), c.getCommitment().toByteArray(),
                secret);
        return Queries.first(q.list("SELECT " + COMMITMENT_COLUMNS + " FROM seed_commitments WHERE commit_id = ?",
                ConfirmationRows::commitment, c.getCommit())).orElseThrow();
    }

    @Override
    public Optional<byte[]> seedSecret(String commit) {
        return Queries.first(q.list("SELECT secret FROM seed_commitments WHERE commit_id = ?",
                rs -> rs.getBytes(1), commit));
    }

    @Override
    public Optional<byte[]> seedCommitment(String commit) {
        Optional<byte[]> kept = shared.commitment(commit);
        if (kept.isPresent()) {
            return kept;
        }
        Optional<byte[]> read = Queries.first(q.list("SELECT commitment FROM seed_commitments WHERE commit_id = ?",
                rs -> rs.getBytes(1), commit));
        if (read.isPresent() && !insertedCommitment) {
            shared.putCommitment(commit, read.get());
        }
        return read;
    }

    @Override
    public List<SeedCommitment> seedCommitments(String direction) {
        return q.list("SELECT " + COMMITMENT_COLUMNS + " FROM seed_commitments WHERE "
                + Queries.equalUnlessEmpty("direction", direction) + " ORDER BY audit_count, commit_id",
                ConfirmationRows::commitment, direction);
    }

    @Override
    public List<SeedCommitment> seedCommitments(String direction, ListKey after, int rows) {
        return q.list("SELECT " + COMMITMENT_COLUMNS + " FROM seed_commitments WHERE "
                        + Queries.equalUnlessEmpty("direction", direction) + AFTER_KEY
                        + " ORDER BY audit_count, commit_id LIMIT ?", ConfirmationRows::commitment,
                direction, after.auditCount(), after.auditCount(), after.commit(), rows);
    }

    private static final String COMMITMENT_COLUMNS = "commit_id, direction, audit_count, committed_ms, commitment";

    private static SeedCommitment commitment(java.sql.ResultSet rs) throws java.sql.SQLException {
        return SeedCommitment.newBuilder().setCommit(rs.getString(1)).setDirection(rs.getString(2))
                .setAuditCount(rs.getLong(3)).setCommittedMs(rs.getLong(4))
                .setCommitment(com.google.protobuf.ByteString.copyFrom(rs.getBytes(5))).build();
    }

    private static boolean sameChoice(Confirmation a, Confirmation b) {
        return a.getRandomSeedsList().equals(b.getRandomSeedsList()) && a.getDerivation() == b.getDerivation()
                && a.getDerivedFromList().equals(b.getDerivedFromList()) && a.getAuditCount() == b.getAuditCount()
                && a.getSeedReveal().equals(b.getSeedReveal());
    }

    private static Confirmation parse(byte[] bytes) {
        try {
            return Confirmation.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("stored confirmation is corrupt: " + e.getMessage(), e);
        }
    }
}
