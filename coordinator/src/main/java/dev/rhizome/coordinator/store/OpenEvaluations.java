package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.SpotChecks;
import dev.rhizome.coordinator.core.UnitRecord;
import java.util.List;

/**
 * The claim page: open EVALUATE units a claimant may take, in claim order, and the spot checks'
 * reservations of them. Part of {@link Store.Transaction}.
 */
public interface OpenEvaluations {
    /**
     * A page of OPEN EVALUATE units, oldest first, leaving out those whose commit {@code node}
     * already reported on or holds a lease for: what a claim looks at, read along the index
     * on (state, kind, seq) rather than by scanning every open unit. Reservations are not looked at.
     */
    default List<UnitRecord> openEvaluationsFor(ByteString node, int offset, int limit) {
        return openEvaluationsFor(node, Long.MAX_VALUE, offset, limit);  // no reservation lasts that long
    }

    /**
     * Like {@link #openEvaluationsFor(ByteString, int, int)}, also leaving out units reserved
     * (still at {@code nowMs}) for other keys than {@code node}.
     */
    default List<UnitRecord> openEvaluationsFor(ByteString node, long nowMs, int offset, int limit) {
        return openEvaluationsFor(node, "", nowMs, offset, limit);
    }

    /**
     * Like {@link #openEvaluationsFor(ByteString, long, int, int)}, for a claimant from
     * {@code network} ({@link dev.rhizome.coordinator.core.ReplicaNetworks#of}), also leaving
     * out units whose trial the claimant's network may not take yet
     * ({@link dev.rhizome.coordinator.core.ReplicaNetworks#mayTake}).
     */
    List<UnitRecord> openEvaluationsFor(ByteString node, String network, long nowMs, int offset, int limit);

    /** Reserves a unit for {@code nodes} until {@code untilMs} (see {@link SpotChecks}). */
    void reserveUnit(String unitId, List<ByteString> nodes, long untilMs);

    /**
     * The earliest moment after {@code nowMs} at which work now kept from this claimant by time
     * alone may open, or {@link Long#MAX_VALUE}: a lease's deadline (its expiry reopens the unit,
     * and frees its address's and network's lease caps), the end of a reservation of an open unit
     * for other keys, the end of {@code network}'s hold on a trial with an open replica
     * ({@code core.ReplicaNetworks}). A claim held while it waits ({@code service.ClaimWaits}) is
     * run again then, rather than reading the store while it waits.
     */
    long nextOpening(ByteString node, String network, long nowMs);

    /** The keys a unit is reserved for at {@code nowMs}; empty when it is open to all. */
    List<ByteString> reservation(String unitId, long nowMs);
}
