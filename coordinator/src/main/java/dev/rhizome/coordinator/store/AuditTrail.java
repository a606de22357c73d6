package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.List;
import java.util.Optional;

/**
 * Every signed record in the order accepted, and the adoptions decided from them. Part of
 * {@link Store.Transaction}.
 */
public interface AuditTrail {
    /** Every stored signed record, in the order accepted. */
    List<SignedEnvelope> auditTrail();

    void insertAdoption(Adoption adoption);

    /**
     * Keeps an operator's signed order (a closure, a ban, a re-queue) in the trail, where an
     * offline check reads who ordered what and when; false, storing nothing, when the same
     * envelope is already there (the order sent again).
     */
    boolean keepOrder(SignedEnvelope order, String id, long nowMs);

    /** Of one direction, or all when empty, in the order decided. */
    List<Adoption> adoptions(String direction);

    /** Signed records accepted so far: one kept count, read as one row ({@link StoreCounters}). */
    long auditCount();

    /** Signed records accepted after envelope {@code afterSeq}, in the order accepted. */
    List<Keyed<Long, SignedEnvelope>> auditTrail(long afterSeq, int limit);

    /** Of one direction, or all when empty, decided after {@code after} (from the first when empty). */
    List<Keyed<Store.AdoptionKey, Adoption>> adoptions(String direction, Optional<Store.AdoptionKey> after, int limit);

    /** Where a stored envelope sits in the trail: its key (from 1; keys only grow) and when it was stored. */
    record Accepted(long seq, long receivedMs) {
    }

    /** The stored envelope {@code id}'s place in the trail, if it is stored. */
    Optional<Accepted> accepted(String id);

    /** Keeps a coordinator instance's receipt key (once; again is no change). */
    void keepReceiptKey(ByteString key, long nowMs);

    /** Every receipt key kept, oldest first. */
    List<ByteString> receiptKeys();
}
