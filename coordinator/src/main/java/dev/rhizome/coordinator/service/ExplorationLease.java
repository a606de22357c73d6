package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Instant;

/**
 * An experiment that answers an EXPLORE unit is accepted only under a live lease held by its
 * proposer: a proposal made on a lease that ran out may be based on a stale frontier, and its
 * budget was given to someone else.
 */
final class ExplorationLease {
    private ExplorationLease() {
    }

    /** Why a unit its holder closed takes nothing more, and what to do: the same words wherever it is refused. */
    static String closed(UnitRecord unit) {
        return "work unit " + unit.id() + " was closed by its holder before its lease ran out (given back with "
                + "`rhizome unclaim`, an interrupted claim or an agent round, or its experiment already submitted); "
                + "claim again (`rhizome claim --from <commit>`) for a new unit";
    }

    static void check(UnitRecord unit, ByteString proposer, long nowMs) {
        if (!unit.holder().equals(proposer)) {
            throw Rejection.forbidden("work unit " + unit.id() + " is not leased to " + PublicId.hex(proposer));
        }
        if (unit.closedBy(proposer)) {
            throw Rejection.unitClosed(closed(unit));
        }
        if (unit.state() != UnitStatus.State.LEASED || unit.leaseDeadlineMs() < nowMs) {
            long ago = Math.max(0, (nowMs - unit.leaseDeadlineMs()) / 1000);
            throw Rejection.leaseExpired("the lease on work unit " + unit.id() + " ended at "
                    + Instant.ofEpochMilli(unit.leaseDeadlineMs()) + " (" + ago + " s ago)"
                    + (unit.state() == UnitStatus.State.DONE ? " and the exploration is closed" : "")
                    + "; claim again (`rhizome claim --from <commit>`) and resubmit");
        }
    }
}
