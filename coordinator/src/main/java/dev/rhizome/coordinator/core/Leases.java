package dev.rhizome.coordinator.core;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Duration;

/** Lease terms: how long a lease lasts, when it has run out, and who may extend it. */
public final class Leases {
    /** Slack on top of twice the job's timeout, for fetching the bundle and reporting. */
    static final Duration SLACK = Duration.ofSeconds(30);

    private final Duration fixed;

    /** @param fixed a lease length for every unit, or {@link Duration#ZERO} to derive it from each manifest */
    public Leases(Duration fixed) {
        this.fixed = fixed;
    }

    public Duration duration(Manifest manifest) {
        if (!fixed.isZero()) {
            return fixed;
        }
        // timeout_seconds is a uint32: read unsigned, 2 * 2^32 s fits a Duration easily.
        return Duration.ofSeconds(2L * Integer.toUnsignedLong(manifest.getTimeoutSeconds())).plus(SLACK);
    }

    public long deadline(long nowMs, Manifest manifest) {
        return Saturating.plus(nowMs, duration(manifest).toMillis());
    }

    /** A lease is good up to and including its deadline. */
    public static boolean isExpired(UnitRecord unit, long nowMs) {
        return unit.state() == UnitStatus.State.LEASED && nowMs > unit.leaseDeadlineMs();
    }

    /** Extends a lease that its holder still holds; refuses anyone else and any lease already run out. */
    public UnitRecord renew(UnitRecord unit, ByteString node, long nowMs, Manifest manifest) {
        if (unit.closedBy(node)) {
            throw Rejection.unitClosed("work unit " + unit.id() + " was closed by its holder before its lease ran out"
                    + (unit.kind() == WorkUnit.Kind.EXPLORE ? " (given back, or its experiment already submitted)"
                            : " (its result was reported)") + "; there is no lease left to renew");
        }
        if (unit.state() == UnitStatus.State.DONE && unit.holder().isEmpty()) {
            // withdrawn under its holder (its experiment given up, or the comparison it was for
            // closed): "not leased to" you read as a lost lease or a key mix-up
            throw Rejection.unitClosed("work unit " + unit.id() + " was withdrawn: its run is no longer needed "
                    + "(its experiment was given up, or the comparison it was for was decided); there is no lease "
                    + "left to renew, and a result for it is kept as TOO_LATE");
        }
        if (unit.state() != UnitStatus.State.LEASED || !unit.holder().equals(node)) {
            throw Rejection.forbidden("work unit " + unit.id() + " is not leased to " + PublicId.hex(node));
        }
        if (isExpired(unit, nowMs)) {
            throw Rejection.leaseExpired("lease on work unit " + unit.id() + " expired at " + unit.leaseDeadlineMs()
                    + " ms, now " + nowMs + " ms");
        }
        return unit.withDeadline(deadline(nowMs, manifest));
    }
}
