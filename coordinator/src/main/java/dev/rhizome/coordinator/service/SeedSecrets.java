package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ConfirmationRule;
import dev.rhizome.coordinator.store.AuditTrail;
import dev.rhizome.coordinator.store.Confirmations;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.SeedCommitment;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * The coordinator's half of a candidate's confirmation seeds ({@link ConfirmationRule#derive} with
 * a secret). The secret is fixed, and its commitment published, in the transaction that registers
 * the candidate: the earliest point at which the candidate exists, so before any result of it, and
 * one transaction, so several coordinators on one store (the experiment's row is unique) and a kill
 * at any moment leave either the experiment with its one secret or neither. Revealed in the
 * candidate's confirmation, once the results that decide its trial stage are in.
 */
final class SeedSecrets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private SeedSecrets() {
    }

    /** Fixes the candidate's secret, unless one is kept already (then that one stays). */
    static <T extends Confirmations & AuditTrail> void commit(T tx, String direction, String commit, long nowMs) {
        byte[] secret = new byte[ConfirmationRule.SECRET_BYTES];
        RANDOM.nextBytes(secret);
        tx.commitSeedSecret(SeedCommitment.newBuilder().setDirection(direction).setCommit(commit)
                .setCommitment(ByteString.copyFrom(ConfirmationRule.commitment(secret)))
                .setAuditCount(tx.auditCount()).setCommittedMs(nowMs).build(), secret);
    }

    /**
     * The candidate's kept secret, to derive its seeds with and reveal; empty for a candidate
     * registered before its coordinator committed (its seeds are derived without one, as before).
     */
    static Optional<byte[]> reveal(Confirmations tx, String commit) {
        return tx.seedSecret(commit);
    }

    /**
     * The commitment published for the candidate's secret, which its EVALUATE units carry and their
     * runners sign back (round 27); empty where none was made (before round 26, or a seed without
     * confirmation seeds). The one stored beside the secret, made from it in {@link #commit}.
     */
    static Optional<ByteString> commitment(Confirmations tx, String commit) {
        return tx.seedCommitment(commit).map(ByteString::copyFrom);
    }

    /** How a confirmation derived with {@code secret} (or without, when empty) is labelled. */
    static Confirmation.Builder label(Confirmation.Builder c, Optional<byte[]> secret) {
        return secret.map(s -> c.setDerivation(Confirmation.Derivation.COMMITTED).setSeedReveal(ByteString.copyFrom(s)))
                .orElseGet(() -> c.setDerivation(Confirmation.Derivation.DERIVED));
    }
}
