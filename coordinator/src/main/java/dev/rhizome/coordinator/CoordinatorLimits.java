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
 * @param maxRenewalsPerLease     times one lease may be renewed at most, whatever its job (rows kept
 *                                per lease); fewer where the job needs fewer ({@code Leases#renewalsAllowed})
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

    public CoordinatorLimits {
        Objects.requireNonNull(dailyWrites, "dailyWrites");
        Objects.requireNonNull(leasesHeld, "leasesHeld");
        Objects.requireNonNull(readBudgets, "readBudgets");
        Objects.requireNonNull(minDataRate, "minDataRate");
        atLeast(1, maxConnections, "maxConnections");
        atLeast(1, maxConnectionsPerAddress, "maxConnectionsPerAddress");
        atLeast(1, maxPipelined, "maxPipelined");
        atLeast(1, maxBufferedBodyBytes, "maxBufferedBodyBytes");
        atLeast(1, maxLeasesPerNode, "maxLeasesPerNode");
        atLeast(0, maxRenewalsPerLease, "maxRenewalsPerLease");
        atLeast(1, maxRequestsPerConnection, "maxRequestsPerConnection");
        positive(requestTimeout, "requestTimeout");
        positive(idleTimeout, "idleTimeout");
        positive(replyStallTimeout, "replyStallTimeout");
    }

    private static void atLeast(long least, long value, String limit) {
        if (value < least) {
            throw new IllegalArgumentException(limit + " must be at least " + least + ", got " + value);
        }
    }

    private static void positive(Duration value, String limit) {
        Objects.requireNonNull(value, limit);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(limit + " must be positive, got " + value);
        }
    }

    public static CoordinatorLimits defaults() {
        return new Builder().build();
    }

    /** These limits as a {@link Builder}, to change some and keep the rest. */
    public Builder toBuilder() {
        return new Builder(this);
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
        return toBuilder().maxConnections(total).maxConnectionsPerAddress(perAddress).build();
    }

    public CoordinatorLimits withTimeouts(Duration request, Duration idle) {
        return toBuilder().requestTimeout(request).idleTimeout(idle).build();
    }

    public CoordinatorLimits withMaxBufferedBodyBytes(long bytes) {
        return toBuilder().maxBufferedBodyBytes(bytes).build();
    }

    public CoordinatorLimits withLeases(int perNode, int renewalsPerLease) {
        return toBuilder().maxLeasesPerNode(perNode).maxRenewalsPerLease(renewalsPerLease).build();
    }

    public CoordinatorLimits withReplyStallTimeout(Duration stall) {
        return toBuilder().replyStallTimeout(stall).build();
    }

    public CoordinatorLimits withDailyWrites(WriteQuota.Limits writes) {
        return toBuilder().dailyWrites(writes).build();
    }

    public CoordinatorLimits withLeasesHeld(LeaseCaps.Limits caps) {
        return toBuilder().leasesHeld(caps).build();
    }

    public CoordinatorLimits withReadBudgets(ReadBudgets budgets) {
        return toBuilder().readBudgets(budgets).build();
    }

    public CoordinatorLimits withRequestsPerConnection(int requests) {
        return toBuilder().maxRequestsPerConnection(requests).build();
    }

    public CoordinatorLimits withMinDataRate(MinDataRate rate) {
        return toBuilder().minDataRate(rate).build();
    }

    public CoordinatorLimits withMaxPipelined(int pipelined) {
        return toBuilder().maxPipelined(pipelined).build();
    }

    /**
     * Limits set one field at a time (a setter each, named as the record's component), starting
     * from the defaults or from limits given ({@link CoordinatorLimits#toBuilder}): a new limit is
     * a component, its field and setter here, and a line in the copying constructor and
     * {@link #build}; no wither copies every field by hand. The record's constructor checks them all.
     */
    public static final class Builder {
        private int maxConnections = 4096;
        private int maxConnectionsPerAddress = 64;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration idleTimeout = Duration.ofSeconds(120);
        private int maxPipelined = 16;
        private long maxBufferedBodyBytes = 256L << 20;
        private int maxLeasesPerNode = 8;
        private int maxRenewalsPerLease = 1_000;
        private Duration replyStallTimeout = DEFAULT_REPLY_STALL;
        private WriteQuota.Limits dailyWrites = WriteQuota.Limits.defaults();
        private LeaseCaps.Limits leasesHeld = LeaseCaps.Limits.defaults();
        private ReadBudgets readBudgets = ReadBudgets.defaults();
        private int maxRequestsPerConnection = DEFAULT_REQUESTS_PER_CONNECTION;
        private MinDataRate minDataRate = MinDataRate.DEFAULT;

        /** The defaults ({@link CoordinatorLimits#defaults}). */
        public Builder() {
        }

        private Builder(CoordinatorLimits l) {
            maxConnections = l.maxConnections;
            maxConnectionsPerAddress = l.maxConnectionsPerAddress;
            requestTimeout = l.requestTimeout;
            idleTimeout = l.idleTimeout;
            maxPipelined = l.maxPipelined;
            maxBufferedBodyBytes = l.maxBufferedBodyBytes;
            maxLeasesPerNode = l.maxLeasesPerNode;
            maxRenewalsPerLease = l.maxRenewalsPerLease;
            replyStallTimeout = l.replyStallTimeout;
            dailyWrites = l.dailyWrites;
            leasesHeld = l.leasesHeld;
            readBudgets = l.readBudgets;
            maxRequestsPerConnection = l.maxRequestsPerConnection;
            minDataRate = l.minDataRate;
        }

        public Builder maxConnections(int total) {
            maxConnections = total;
            return this;
        }

        public Builder maxConnectionsPerAddress(int perAddress) {
            maxConnectionsPerAddress = perAddress;
            return this;
        }

        public Builder requestTimeout(Duration request) {
            requestTimeout = request;
            return this;
        }

        public Builder idleTimeout(Duration idle) {
            idleTimeout = idle;
            return this;
        }

        public Builder maxPipelined(int pipelined) {
            maxPipelined = pipelined;
            return this;
        }

        public Builder maxBufferedBodyBytes(long bytes) {
            maxBufferedBodyBytes = bytes;
            return this;
        }

        public Builder maxLeasesPerNode(int perNode) {
            maxLeasesPerNode = perNode;
            return this;
        }

        public Builder maxRenewalsPerLease(int renewals) {
            maxRenewalsPerLease = renewals;
            return this;
        }

        public Builder replyStallTimeout(Duration stall) {
            replyStallTimeout = stall;
            return this;
        }

        public Builder dailyWrites(WriteQuota.Limits writes) {
            dailyWrites = writes;
            return this;
        }

        public Builder leasesHeld(LeaseCaps.Limits caps) {
            leasesHeld = caps;
            return this;
        }

        public Builder readBudgets(ReadBudgets budgets) {
            readBudgets = budgets;
            return this;
        }

        public Builder maxRequestsPerConnection(int requests) {
            maxRequestsPerConnection = requests;
            return this;
        }

        public Builder minDataRate(MinDataRate rate) {
            minDataRate = rate;
            return this;
        }

        /** @throws IllegalArgumentException naming the limit that is out of range */
        public CoordinatorLimits build() {
            return new CoordinatorLimits(maxConnections, maxConnectionsPerAddress, requestTimeout, idleTimeout,
                    maxPipelined, maxBufferedBodyBytes, maxLeasesPerNode, maxRenewalsPerLease, replyStallTimeout,
                    dailyWrites, leasesHeld, readBudgets, maxRequestsPerConnection, minDataRate);
        }
    }
}
