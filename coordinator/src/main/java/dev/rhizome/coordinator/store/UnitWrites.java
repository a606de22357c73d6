package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one transaction wrote to units, leases and reservations, as the reads kept across
 * transactions ({@link OwnedReads}: the leased units, the open queue, each key's leases today,
 * the latest reservation) must see it: the claimant's counts and the claim page are the shared
 * ones with these applied, and these are applied to the shared ones once its savepoint is
 * released ({@link #released}; later callers of the same group read the database as it is then;
 * a failed commit forgets all).
 */
final class UnitWrites {
    private final OwnedReads owned;
    /** Units whose state this transaction wrote: their lease when now LEASED, else empty. */
    final Map<String, Optional<OwnedReads.Lease>> states = new LinkedHashMap<>();
    /*
     * The same writes as the open queue sees them: a unit now OPEN EVALUATE with its place, or
     * empty when it left the queue (or was never in it).
     */
    final Map<String, Optional<OwnedReads.Queued>> queue = new LinkedHashMap<>();
    /** Rows of the units this transaction wrote, as stored, and the sequence numbers it learned. */
    private final Map<String, UnitRecord> rows = new HashMap<>();
    private final Map<String, Long> seqs = new HashMap<>();
    /** The leases recorded, by key and time. */
    private final List<Map.Entry<ByteString, Long>> leases = new ArrayList<>();
    /** The latest deadline of the reservations this transaction made. */
    private long reservedUntil = Long.MIN_VALUE;

    UnitWrites(OwnedReads owned) {
        this.owned = owned;
    }

    boolean none() {
        return states.isEmpty();
    }

    /**
     * Notes the unit as written: its row as stored now, its place ({@code seq}, or
     * {@link OwnedReads#UNKNOWN_SEQ} when not known) and, when it was just leased, the address it was claimed from; null when the write
     * leaves that alone (a renewal: the lease keeps the address it had).
     */
    void wrote(UnitRecord row, long seq, String leasedFrom) {
        String id = row.id();
        rows.put(id, row);
        if (seq != OwnedReads.UNKNOWN_SEQ) {
            seqs.put(id, seq);
        }
        boolean leased = row.state() == UnitStatus.State.LEASED;
        String address = !leased ? "" : leasedFrom != null ? leasedFrom : addressOf(id);
        states.put(id, leased ? Optional.of(new OwnedReads.Lease(row, seq, address)) : Optional.empty());
        queue.put(id, isOpenEvaluation(row) ? Optional.of(new OwnedReads.Queued(seq, row)) : Optional.empty());
    }

    /** The address the unit's lease was claimed from, as this transaction or the kept leases know it; "" if neither. */
    private String addressOf(String id) {
        Optional<OwnedReads.Lease> mine = states.get(id);
        if (mine != null) {
            return mine.map(OwnedReads.Lease::address).orElse("");
        }
        OwnedReads.Lease kept = owned.leasedUnits.loaded() ? owned.leasedUnits.lease(id) : null;
        return kept == null ? "" : kept.address();
    }

    void learnedSeq(String id, long seq) {
        seqs.put(id, seq);
    }

    void recordedLease(ByteString holder, long nowMs) {
        leases.add(Map.entry(holder, nowMs));
    }

    void reserved(long untilMs) {
        reservedUntil = Math.max(reservedUntil, untilMs);
    }

    long reservedUntil() {
        return reservedUntil;
    }

    static boolean isOpenEvaluation(UnitRecord u) {
        return u.state() == UnitStatus.State.OPEN && u.kind() == WorkUnit.Kind.EVALUATE;
    }

    /** Some row of the unit known without a read (its unchanging columns are all that is used), else null. */
    UnitRecord knownRow(String id) {
        UnitRecord mine = rows.get(id);
        if (mine != null) {
            return mine;
        }
        UnitRecord queued = owned.openUnits.loaded() ? owned.openUnits.unit(id) : null;
        if (queued != null) {
            return queued;
        }
        OwnedReads.Lease lease = owned.leasedUnits.loaded() ? owned.leasedUnits.lease(id) : null;
        return lease == null ? null : lease.unit();
    }

    /** The unit's sequence number where known without a read (it never changes), else {@link OwnedReads#UNKNOWN_SEQ}. */
    long knownSeq(String id) {
        Long mine = seqs.get(id);
        if (mine != null) {
            return mine;
        }
        long queued = owned.openUnits.loaded() ? owned.openUnits.seqOf(id) : OwnedReads.UNKNOWN_SEQ;
        if (queued != OwnedReads.UNKNOWN_SEQ) {
            return queued;
        }
        OwnedReads.Lease lease = owned.leasedUnits.loaded() ? owned.leasedUnits.lease(id) : null;
        return lease == null ? OwnedReads.UNKNOWN_SEQ : lease.seq();
    }

    /** Leases recorded by this transaction for {@code node} at or after {@code sinceMs}. */
    int leasesSince(ByteString node, long sinceMs) {
        int n = 0;
        for (Map.Entry<ByteString, Long> lease : leases) {
            if (lease.getKey().equals(node) && lease.getValue() >= sinceMs) {
                n++;
            }
        }
        return n;
    }

    /**
     * Applies these writes to the shared reads, once this caller's savepoint is released, so the
     * group's later callers see its leases in the shared counts as they see them in the database.
     * Never if it rolled back; a failed group commit clears the shared reads.
     */
    void released() {
        Long latestReservation = owned.reservedUntil.get();
        if (latestReservation != null && reservedUntil > latestReservation) {
            owned.reservedUntil.put(reservedUntil);
        }
        states.forEach((id, lease) -> owned.leasedUnits.set(id, lease.orElse(null)));
        for (Map.Entry<String, Optional<OwnedReads.Queued>> write : queue.entrySet()) {
            if (write.getValue().isPresent() && write.getValue().get().seq() == OwnedReads.UNKNOWN_SEQ) {
                owned.openUnits.clear();  // its place is not known: the next claim loads the queue again
            } else {
                owned.openUnits.set(write.getKey(), write.getValue().orElse(null));
            }
        }
        for (Map.Entry<ByteString, Long> lease : leases) {
            OwnedReads.LeaseCount known = owned.leasesSince.get(lease.getKey());
            if (known != null && lease.getValue() >= known.sinceMs()) {
                owned.leasesSince.put(lease.getKey(), new OwnedReads.LeaseCount(known.sinceMs(), known.count() + 1));
            }
        }
    }
}
