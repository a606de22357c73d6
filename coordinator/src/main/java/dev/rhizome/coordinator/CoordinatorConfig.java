package dev.rhizome.coordinator;

import dev.rhizome.coordinator.http.TrustedProxies;
import dev.rhizome.protocol.identity.PublicId;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How a coordinator runs.
 *
 * @param dataDir            where {@code coordinator.db} lives
 * @param host               address to bind
 * @param port               port to bind; 0 picks a free one
 * @param leaseDuration      how long a lease lasts; {@link Duration#ZERO} derives it per unit from
 *                           the seed's manifest (2 * timeout_seconds + 30 s)
 * @param maxBodyBytes       largest request body accepted
 * @param operators          keys allowed to publish seeds and open directions; empty means anyone
 * @param selfEvaluateAfter  how long an evaluation waits for an independent runner before its own
 *                           proposer may run it
 * @param clock              the coordinator's time, adjustable in tests
 * @param limits             what one client may cost: connections, timeouts, leases (see {@link CoordinatorLimits})
 * @param store              empty for SQLite in {@code dataDir}; {@code postgresql://...} for a
 *                           PostgreSQL database that several coordinators may share
 * @param trustedProxies     addresses or blocks (10.0.0.0/8) of proxies in front whose
 *                           forwarding header names the client; empty (the default): no such header is read
 * @param trustedProxyHeader which header those proxies write: X-Forwarded-For (the default) or RFC
 *                           7239 Forwarded; the other is never read
 */
public record CoordinatorConfig(Path dataDir, String host, int port, Duration leaseDuration, int maxBodyBytes,
        Set<PublicId> operators, Duration selfEvaluateAfter, Clock clock, CoordinatorLimits limits, String store,
        List<String> trustedProxies, TrustedProxies.Header trustedProxyHeader) {

    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;

    public CoordinatorConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(leaseDuration, "leaseDuration");
        Objects.requireNonNull(selfEvaluateAfter, "selfEvaluateAfter");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(trustedProxyHeader, "trustedProxyHeader");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535, got " + port);
        }
        if (leaseDuration.isNegative() || selfEvaluateAfter.isNegative()) {
            throw new IllegalArgumentException("durations must not be negative");
        }
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be positive, got " + maxBodyBytes);
        }
        operators = Set.copyOf(operators);
        trustedProxies = List.copyOf(trustedProxies);
        TrustedProxies.of(trustedProxies);  // each entry checked, naming a bad one
    }

    public CoordinatorConfig(Path dataDir, String host, int port, Duration leaseDuration, int maxBodyBytes,
            Set<PublicId> operators, Duration selfEvaluateAfter, Clock clock, CoordinatorLimits limits, String store) {
        this(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store,
                List.of(), TrustedProxies.Header.X_FORWARDED_FOR);
    }

    public static CoordinatorConfig defaults(Path dataDir) {
        return new CoordinatorConfig(dataDir, "127.0.0.1", 0, Duration.ZERO, DEFAULT_MAX_BODY_BYTES, Set.of(),
                Duration.ofSeconds(30), Clock.systemUTC(), CoordinatorLimits.defaults(), "", List.of(),
                TrustedProxies.Header.X_FORWARDED_FOR);
    }

    public CoordinatorConfig withDataDir(Path dataDir) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }

    public CoordinatorConfig withHost(String host) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }

    public CoordinatorConfig withPort(int port) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }

    public CoordinatorConfig withLeaseDuration(Duration leaseDuration) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }

    public CoordinatorConfig withMaxBodyBytes(int maxBodyBytes) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }

    public CoordinatorConfig withOperators(Set<PublicId> operators) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }

    public CoordinatorConfig withSelfEvaluateAfter(Duration selfEvaluateAfter) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }

    public CoordinatorConfig withClock(Clock clock) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }

    public CoordinatorConfig withLimits(CoordinatorLimits limits) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }

    public CoordinatorConfig withStore(String store) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }

    public CoordinatorConfig withTrustedProxies(List<String> trustedProxies) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }

    public CoordinatorConfig withTrustedProxyHeader(TrustedProxies.Header trustedProxyHeader) {
        return new CoordinatorConfig(dataDir, host, port, leaseDuration, maxBodyBytes, operators, selfEvaluateAfter, clock, limits, store, trustedProxies, trustedProxyHeader);
    }
}
