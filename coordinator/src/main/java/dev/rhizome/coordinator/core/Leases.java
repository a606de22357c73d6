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

    /** The least time a holder is given to fetch a commit, whatever its job's timeout (as nodes give it). */
    static final Duration FETCH_FLOOR = Duration.ofSeconds(60);

    /**
     * Renewals one lease may have: as many as a holder renewing each half lease (as nodes do while
     * they fetch and run) needs to fetch the commit (the job's timeout, at least a minute) and run
     * the job to the runner's kill (twice its timeout), with {@link #SLACK}. A count fixed apart
     * from the lease cut an honest job short under a short fixed lease (100 renewals of a 5 s lease
     * cover about 4 minutes) and let a holder that never finishes keep a derived lease's unit for
     * 100 leases, about 200 times the job's timeout; this bounds that hold at about twice what the
     * job may take.
     */
    public int renewalsAllowed(Manifest manifest) {
        long timeoutMs = Integer.toUnsignedLong(manifest.getTimeoutSeconds()) * 1000;
        long holdMs = Math.max(timeoutMs, FETCH_FLOOR.toMillis()) + 2 * timeoutMs + SLACK.toMillis();
        long halfLeaseMs = Math.max(1_000, duration(manifest).toMillis() / 2);
        long renewals = (holdMs + halfLeaseMs - 1) / halfLeaseMs + 1;
        return (int) Math.min(Integer.MAX_VALUE, renewals);
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
