package dev.rhizome.coordinator;

import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.core.WriteQuota;
import java.time.Duration;
import java.util.Objects;

/**
 * What one client may cost the coordinator. Every number here bounds something a hostile or broken
 * client could otherwise grow without end; docs/api.md lists them.
 *
 * @param maxConnections          open connections in total; more are closed on accept
 * @param maxConnectionsPerAddress open connections from one remote IP address (an IPv6 /64 as one);
 *                                a network holds at most {@link #maxConnectionsPerNetwork()}
 * @param requestTimeout          a request must be fully received (headers and body) this long after
 *                                its first byte arrived, or it gets 408 and the connection closes
 * @param idleTimeout             a connection with no request in progress and nothing sent or received
 *                                for this long is closed
 * @param maxPipelined            requests of one connection being handled at once; the connection is
 *                                not read further until replies go out
 * @param maxBufferedBodyBytes    bytes of unfinished request bodies held in memory across all
 *                                connections; a body that would exceed it gets 503 and its connection closes
 * @param maxLeasesPerNode        leases one key holds at once; a claim beyond it is refused with 429
 * @param maxRenewalsPerLease     times one lease may be renewed; after that the node must finish or
 *                                let the lease run out
 * @param replyStallTimeout       a connection holding reply bytes its client has not read must see
 *                                some of them taken at least this often, else it is closed (its
 *                                share of the reply budget comes back long before the idle timeout)
 * @param dailyWrites             what one key, one address and everyone together may add each UTC day,
 *                                per kind of record ({@link WriteQuota})
 * @param leasesHeld              leases one address and one network may hold at once, by any keys
 *                                ({@link LeaseCaps}); a claim beyond them gets no unit and a retry hint
 * @param readBudgets             CPU one address and one network may spend on reads before they get
 *                                {@code 429} with a {@code Retry-After} ({@link ReadBudgets})
 */
public record CoordinatorLimits(int maxConnections, int maxConnectionsPerAddress, Duration requestTimeout,
        Duration idleTimeout, int maxPipelined, long maxBufferedBodyBytes, int maxLeasesPerNode,
        int maxRenewalsPerLease, Duration replyStallTimeout, WriteQuota.Limits dailyWrites,
        LeaseCaps.Limits leasesHeld, ReadBudgets readBudgets) {
    /** Long enough for any reader that reads at all; short enough that honest readers barely notice non-readers. */
    public static final Duration DEFAULT_REPLY_STALL = Duration.ofSeconds(10);

    public CoordinatorLimits(int maxConnections, int maxConnectionsPerAddress, Duration requestTimeout,
            Duration idleTimeout, int maxPipelined, long maxBufferedBodyBytes, int maxLeasesPerNode,
            int maxRenewalsPerLease) {
        this(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined, maxBufferedBodyBytes,
                maxLeasesPerNode, maxRenewalsPerLease, DEFAULT_REPLY_STALL, WriteQuota.Limits.defaults(),
                LeaseCaps.Limits.defaults(), ReadBudgets.defaults());
    }

    public CoordinatorLimits {
        Objects.requireNonNull(dailyWrites, "dailyWrites");
        Objects.requireNonNull(leasesHeld, "leasesHeld");
        Objects.requireNonNull(readBudgets, "readBudgets");
        if (maxConnections < 1 || maxConnectionsPerAddress < 1 || maxPipelined < 1 || maxBufferedBodyBytes < 1
                || maxLeasesPerNode < 1 || maxRenewalsPerLease < 0) {
            throw new IllegalArgumentException("limits must be positive (renewals: not negative)");
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero() || idleTimeout.isNegative() || idleTimeout.isZero()
                || replyStallTimeout.isNegative() || replyStallTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    public static CoordinatorLimits defaults() {
        return new CoordinatorLimits(4096, 64, Duration.ofSeconds(30), Duration.ofSeconds(120), 16,
                256L << 20, 8, 100);
    }

    /**
     * Open connections from one network ({@link dev.rhizome.coordinator.core.AddressScope#network}: an
     * IPv4 /24, an IPv6 /48): an eighth of the total, and never less than one address's. Without it a
     * /48, which holds 65,536 /64s each with an address's share, could hold every connection; with
     * it filling them takes eight networks.
     */
    public int maxConnectionsPerNetwork() {
        return Math.max(maxConnectionsPerAddress, maxConnections / 8);
    }

    public CoordinatorLimits withConnections(int total, int perAddress) {
        return new CoordinatorLimits(total, perAddress, requestTimeout, idleTimeout, maxPipelined, maxBufferedBodyBytes,
                maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld, readBudgets);
    }

    public CoordinatorLimits withTimeouts(Duration request, Duration idle) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, request, idle, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld, readBudgets);
    }

    public CoordinatorLimits withMaxBufferedBodyBytes(long bytes) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                bytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld, readBudgets);
    }

    public CoordinatorLimits withLeases(int perNode, int renewalsPerLease) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, perNode, renewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld, readBudgets);
    }

    public CoordinatorLimits withReplyStallTimeout(Duration stall) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, stall, dailyWrites, leasesHeld, readBudgets);
    }

    public CoordinatorLimits withDailyWrites(WriteQuota.Limits writes) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, writes, leasesHeld, readBudgets);
    }

    public CoordinatorLimits withLeasesHeld(LeaseCaps.Limits caps) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, caps, readBudgets);
    }

    public CoordinatorLimits withReadBudgets(ReadBudgets budgets) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld,
                budgets);
    }
}
