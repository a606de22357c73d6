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
 * @param maxRequestsPerConnection requests one connection is answered; the last reply says
 *                                {@code Connection: close} (nginx's keepalive_requests)
 * @param minDataRate             the slowest a request may arrive once begun ({@link MinDataRate})
 */
public record CoordinatorLimits(int maxConnections, int maxConnectionsPerAddress, Duration requestTimeout,
        Duration idleTimeout, int maxPipelined, long maxBufferedBodyBytes, int maxLeasesPerNode,
        int maxRenewalsPerLease, Duration replyStallTimeout, WriteQuota.Limits dailyWrites,
        LeaseCaps.Limits leasesHeld, ReadBudgets readBudgets, int maxRequestsPerConnection, MinDataRate minDataRate) {
    /** Long enough for any reader that reads at all; short enough that honest readers barely notice non-readers. */
    public static final Duration DEFAULT_REPLY_STALL = Duration.ofSeconds(10);
    /**
     * Requests one connection is answered before its last reply says "Connection: close": one
     * connection sending requests forever held its place, its buffers and its event loop's
     * attention for good, never idle.
     */
    public static final int DEFAULT_REQUESTS_PER_CONNECTION = 10_000;

    public CoordinatorLimits(int maxConnections, int maxConnectionsPerAddress, Duration requestTimeout,
            Duration idleTimeout, int maxPipelined, long maxBufferedBodyBytes, int maxLeasesPerNode,
            int maxRenewalsPerLease) {
        this(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined, maxBufferedBodyBytes,
                maxLeasesPerNode, maxRenewalsPerLease, DEFAULT_REPLY_STALL, WriteQuota.Limits.defaults(),
                LeaseCaps.Limits.defaults(), ReadBudgets.defaults(), DEFAULT_REQUESTS_PER_CONNECTION, MinDataRate.DEFAULT);
    }

    /** The limits before the request budget and the data rate were settable: those at their defaults. */
    public CoordinatorLimits(int maxConnections, int maxConnectionsPerAddress, Duration requestTimeout,
            Duration idleTimeout, int maxPipelined, long maxBufferedBodyBytes, int maxLeasesPerNode,
            int maxRenewalsPerLease, Duration replyStallTimeout, WriteQuota.Limits dailyWrites,
            LeaseCaps.Limits leasesHeld, ReadBudgets readBudgets) {
        this(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined, maxBufferedBodyBytes,
                maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld, readBudgets,
                DEFAULT_REQUESTS_PER_CONNECTION, MinDataRate.DEFAULT);
    }

    public CoordinatorLimits {
        Objects.requireNonNull(dailyWrites, "dailyWrites");
        Objects.requireNonNull(leasesHeld, "leasesHeld");
        Objects.requireNonNull(readBudgets, "readBudgets");
        Objects.requireNonNull(minDataRate, "minDataRate");
        if (maxRequestsPerConnection < 1) {
            throw new IllegalArgumentException("requests per connection must be positive, got " + maxRequestsPerConnection);
        }
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
                maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld,
                readBudgets, maxRequestsPerConnection, minDataRate);
    }

    public CoordinatorLimits withTimeouts(Duration request, Duration idle) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, request, idle, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld,
                readBudgets, maxRequestsPerConnection, minDataRate);
    }

    public CoordinatorLimits withMaxBufferedBodyBytes(long bytes) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                bytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld,
                readBudgets, maxRequestsPerConnection, minDataRate);
    }

    public CoordinatorLimits withLeases(int perNode, int renewalsPerLease) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, perNode, renewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld,
                readBudgets, maxRequestsPerConnection, minDataRate);
    }

    public CoordinatorLimits withReplyStallTimeout(Duration stall) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, stall, dailyWrites, leasesHeld,
                readBudgets, maxRequestsPerConnection, minDataRate);
    }

    public CoordinatorLimits withDailyWrites(WriteQuota.Limits writes) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, writes, leasesHeld,
                readBudgets, maxRequestsPerConnection, minDataRate);
    }

    public CoordinatorLimits withLeasesHeld(LeaseCaps.Limits caps) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, caps,
                readBudgets, maxRequestsPerConnection, minDataRate);
    }

    public CoordinatorLimits withReadBudgets(ReadBudgets budgets) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld,
                budgets, maxRequestsPerConnection, minDataRate);
    }

    public CoordinatorLimits withRequestsPerConnection(int requests) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld,
                readBudgets, requests, minDataRate);
    }

    public CoordinatorLimits withMinDataRate(MinDataRate rate) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, maxPipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld,
                readBudgets, maxRequestsPerConnection, rate);
    }

    public CoordinatorLimits withMaxPipelined(int pipelined) {
        return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout, pipelined,
                maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout, dailyWrites, leasesHeld,
                readBudgets, maxRequestsPerConnection, minDataRate);
    }
}
