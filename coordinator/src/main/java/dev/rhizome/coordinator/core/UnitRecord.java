package dev.rhizome.coordinator.core;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;

/**
 * A work unit as the coordinator keeps it. {@code holder} is the last node that leased it (empty
 * before the first lease); it stays after an expiry so a late result from that node can be accepted.
 */
public record UnitRecord(String id, WorkUnit.Kind kind, String seed, String direction, String commit, String parent,
        ByteString proposer, UnitStatus.State state, ByteString holder, long leaseDeadlineMs, int attempts,
        int expiredLeases, long createdMs) {

    public static UnitRecord open(String id, WorkUnit.Kind kind, String seed, String direction, String commit,
            String parent, ByteString proposer, long createdMs) {
        return new UnitRecord(id, kind, seed, direction, commit, parent, proposer, UnitStatus.State.OPEN,
                ByteString.EMPTY, 0, 0, 0, createdMs);
    }

    public UnitRecord leasedTo(ByteString node, long deadlineMs) {
        return new UnitRecord(id, kind, seed, direction, commit, parent, proposer, UnitStatus.State.LEASED, node,
                deadlineMs, attempts + 1, expiredLeases, createdMs);
    }

    /**
     * The unit after its lease ran out: an evaluation goes back to OPEN for someone else; an
     * exploration ends, since a fresh one is made on demand from the then-current frontier.
     */
    public UnitRecord expired() {
        UnitStatus.State next = kind == WorkUnit.Kind.EVALUATE ? UnitStatus.State.OPEN : UnitStatus.State.DONE;
        return new UnitRecord(id, kind, seed, direction, commit, parent, proposer, next, holder, leaseDeadlineMs,
                attempts, expiredLeases + 1, createdMs);
    }

    /** Back to OPEN after its holder reported that it could not start (e.g. no peer served the commit). */
    public UnitRecord reopened() {
        return new UnitRecord(id, kind, seed, direction, commit, parent, proposer, UnitStatus.State.OPEN, holder,
                leaseDeadlineMs, attempts, expiredLeases, createdMs);
    }

    /**
     * The unit after a lease whose claim's answer reached nobody (the claimant's connection went
     * first) is given back: an evaluation is OPEN again with the attempt not counted (nobody
     * tried it), an exploration ends as one given back does (a fresh one is made on demand).
     */
    public UnitRecord unanswered() {
        if (kind == WorkUnit.Kind.EXPLORE) {
            return doneBy(holder);
        }
        return new UnitRecord(id, kind, seed, direction, commit, parent, proposer, UnitStatus.State.OPEN, holder,
                leaseDeadlineMs, Math.max(0, attempts - 1), expiredLeases, createdMs);
    }

    public UnitRecord doneBy(ByteString node) {
        return new UnitRecord(id, kind, seed, direction, commit, parent, proposer, UnitStatus.State.DONE, node,
                leaseDeadlineMs, attempts, expiredLeases, createdMs);
    }

    /**
     * Whether the node that holds it closed it itself: an exploration given back or submitted (DONE
     * without an expiry; an exploration is leased once), or an evaluation its own result completed.
     */
    public boolean closedBy(ByteString node) {
        return state == UnitStatus.State.DONE && holder.equals(node)
                && (kind != WorkUnit.Kind.EXPLORE || expiredLeases == 0);
    }

    public UnitRecord withDeadline(long deadlineMs) {
        return new UnitRecord(id, kind, seed, direction, commit, parent, proposer, state, holder, deadlineMs,
                attempts, expiredLeases, createdMs);
    }
}
