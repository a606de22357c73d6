package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.SeedCommitment;
import java.util.List;
import java.util.Optional;

/**
 * The confirmation seeds drawn for candidates that passed at their trial seeds, one record per
 * candidate (migration 26; {@code core.ConfirmationRule} says why, {@code service.Settlement}
 * draws and decides). Part of {@link Store.Transaction}.
 */
public interface Confirmations {
    /**
     * Stores a candidate's confirmation, or its new state. The seeds never change (one choice per
     * candidate): a record whose seeds, derivation or audit count differ from the stored one's is
     * refused with {@link IllegalStateException}, on every store and from every coordinator.
     */
    void saveConfirmation(Confirmation confirmation);

    /** The candidate's confirmation, if its seeds were drawn. */
    Optional<Confirmation> confirmation(String commit);

    /** A direction's confirmations (every direction's when empty), in the order drawn. */
    List<Confirmation> confirmations(String direction);

    /**
     * Up to {@code rows} of a direction's confirmations (every direction's when empty) after
     * {@code after}, by audit count then commit: a page of {@code /v1/confirmations}, which pages
     * them with the seed commitments on the same key.
     */
    List<Confirmation> confirmations(String direction, ListKey after, int rows);

    /**
     * A direction's confirmations still CONFIRMING, in the order drawn: read where its frontier
     * moves (an adoption), along the direction's index; a direction has few (one per candidate
     * that passed at the trial seeds).
     */
    List<Confirmation> openConfirmations(String direction);

    /**
     * Keeps the secret a candidate's confirmation seeds will be derived with, and its published
     * commitment (migration 28), unless one is kept for the candidate already: the first stays, so
     * every coordinator on the store derives with the same secret. The stored commitment.
     */
    SeedCommitment commitSeedSecret(SeedCommitment commitment, byte[] secret);

    /** The secret kept for the candidate, if its coordinator committed to one. Never served before its reveal. */
    Optional<byte[]> seedSecret(String commit);

    /**
     * The commitment published for the candidate's secret, if one was made: what its EVALUATE
     * units carry and their results sign back. Read without the secret, and kept for the store
     * once committed (it never changes), so describing units and checking results costs no
     * statement after the first.
     */
    Optional<byte[]> seedCommitment(String commit);

    /** A direction's seed commitments (every direction's when empty), in the order made. */
    List<SeedCommitment> seedCommitments(String direction);

    /** Up to {@code rows} of a direction's seed commitments (every direction's when empty) after {@code after}, as {@link #confirmations(String, ListKey, int)}. */
    List<SeedCommitment> seedCommitments(String direction, ListKey after, int rows);

    /**
     * Where a page of confirmations and seed commitments ends: the audit count, then the candidate
     * commit (each list's key, so every record is on exactly one page of its list).
     */
    record ListKey(long auditCount, String commit) {
        /** Before every record (audit counts start at 0). */
        public static final ListKey FIRST = new ListKey(-1, "");

        /** Whether a record at {@code auditCount} and {@code commit} comes after this key. */
        public boolean before(long auditCount, String commit) {
            return auditCount > this.auditCount || (auditCount == this.auditCount && commit.compareTo(this.commit) > 0);
        }
    }
}
