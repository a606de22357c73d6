package dev.rhizome.coordinator.metrics;

import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.CoordinatorStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The coordinator's Prometheus metrics (served at {@code GET /metrics}). Counters and histograms
 * are updated as requests happen; the state gauges (units by state, results, nodes) are read from
 * the store once per scrape, so they hold for every coordinator sharing a database.
 */
public final class CoordinatorMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter rejectedSignatures;
    private final DistributionSummary commitBatch;
    private final Timer commitTime;
    private volatile CoordinatorStats snapshot = CoordinatorStats.getDefaultInstance();

    public CoordinatorMetrics() {
        rejectedSignatures = Counter.builder("rhizome_signatures_rejected")
                .description("Requests refused because their envelope's signature did not verify").register(registry);
        commitBatch = DistributionSummary.builder("rhizome_store_commit_transactions")
                .description("Transactions that shared one durable commit (SQLite group commit)")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256).register(registry);
        commitTime = Timer.builder("rhizome_store_commit").description("Time to run and commit one group of transactions")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
    }

    /**
     * Registers the gauges that read the store's state and the count of rows it read; call once the
     * store is open. {@code stats} gives the state at a bounded cost (service.Views#storedStats):
     * counting it per scrape read the whole history each time.
     */
    public void watch(Store store, Supplier<CoordinatorStats> stats) {
        FunctionCounter.builder("rhizome_store_rows_read", store, Store::rowsRead)
                .description("Rows the store read: returned by a query, or gone through by a count").register(registry);
        FunctionCounter.builder("rhizome_store_statements", store, Store::statementsRun)
                .description("Statements the store ran, reads and writes, commits not counted; on PostgreSQL "
                        + "each is a round trip (statements sent together count as one)").register(registry);
        FunctionCounter.builder("rhizome_store_sqlite_read_steps", store, Store::readSteps)
                .description("SQLite only: thousands of virtual-machine instructions the views ran, "
                        + "what a read cost however few rows it returned").register(registry);
        stateGauge("rhizome_units", "state", "open", CoordinatorStats::getUnitsOpen);
        stateGauge("rhizome_units", "state", "leased", CoordinatorStats::getUnitsLeased);
        stateGauge("rhizome_units", "state", "done", CoordinatorStats::getUnitsDone);
        Gauge.builder("rhizome_leases_expired", () -> snapshot.getLeasesExpired())
                .description("Leases that ran out before their holder reported, ever").register(registry);
        Gauge.builder("rhizome_results_stored", () -> snapshot.getResults())
                .description("Signed results stored").register(registry);
        // each with its HELP text: an operator's Prometheus showed these three with an empty one
        Gauge.builder("rhizome_experiments", () -> snapshot.getExperiments())
                .description("Experiments registered (commits submitted to be run)").register(registry);
        Gauge.builder("rhizome_directions", () -> snapshot.getDirections())
                .description("Directions ever opened, closed ones included").register(registry);
        Gauge.builder("rhizome_papers", () -> snapshot.getPapers())
                .description("Papers published").register(registry);
        Gauge.builder("rhizome_nodes_known", () -> snapshot.getNodes())
                .description("Nodes that ever announced").register(registry);
        this.stats = stats;
    }

    private volatile Supplier<CoordinatorStats> stats;

    private LongSupplier pagesBuilt;
    private LongSupplier pagesShared;
    private LongSupplier pagesWaitedOut;

    /**
     * The read routes' pages built, those answered from one already built or being built for the same
     * version, and the asks refused 503 after waiting the bound for another's build (waited_out).
     */
    public void watchSharedPages(LongSupplier built, LongSupplier shared, LongSupplier waitedOut) {
        // held here: a meter holds its object weakly, and these method references nobody else holds
        // (collected, the counters read NaN)
        pagesBuilt = built;
        pagesShared = shared;
        pagesWaitedOut = waitedOut;
        FunctionCounter.builder("rhizome_shared_pages", built, LongSupplier::getAsLong).tag("outcome", "built")
                .description("Pages of the read routes built, or answered from an identical page built since the "
                        + "last write (shared)").register(registry);
        FunctionCounter.builder("rhizome_shared_pages", shared, LongSupplier::getAsLong).tag("outcome", "shared")
                .description("Pages of the read routes built, or answered from an identical page built since the "
                        + "last write (shared)").register(registry);
        FunctionCounter.builder("rhizome_shared_pages", waitedOut, LongSupplier::getAsLong).tag("outcome", "waited_out")
                .description("Pages of the read routes built, or answered from an identical page built since the "
                        + "last write (shared)").register(registry);
    }

    private void stateGauge(String name, String tag, String value, ToDoubleFunction<CoordinatorStats> f) {
        Gauge.builder(name, () -> f.applyAsDouble(snapshot)).description("Work units by state").tag(tag, value)
                .register(registry);
    }

    /** One HTTP request, by route (the path, or "unknown" for paths that match none) and status. */
    public void request(String method, String route, int status, long nanos) {
        Timer.builder("rhizome_http_requests").description("HTTP requests by route and status")
                .tags("method", method, "route", route, "status", Integer.toString(status))
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * CPU a route's handling took (on its worker, and a read's encoding on the event loop), by route:
     * what each kind of request costs, which is what an address's budget for reads is charged.
     */
    public void cpu(String route, long nanos) {
        Counter.builder("rhizome_http_cpu_seconds").description("CPU spent handling requests, by route")
                .baseUnit("seconds").tag("route", route).register(registry).increment(nanos / 1e9);
    }

    /**
     * Time a route's views waited on PostgreSQL (its planning, scanning and sending, not the
     * coordinator's CPU), by route: with {@code rhizome_http_cpu_seconds} what a read is charged.
     */
    public void databaseTime(String route, long nanos) {
        Counter.builder("rhizome_http_database_seconds")
                .description("Time requests' views waited on the database (PostgreSQL), by route")
                .baseUnit("seconds").tag("route", route).register(registry).increment(nanos / 1e9);
    }

    /** A request refused, by the API's error code (BAD_SIGNATURE, CONFLICT, LEASE_EXPIRED, ...). */
    public void refused(String route, String reason) {
        Counter.builder("rhizome_refusals").description("Requests refused, by reason")
                .tags("route", route, "reason", reason).register(registry).increment();
    }

    /**
     * A connection refused as it opened, by the cap it met ({@code total}, {@code network},
     * {@code address}: http.ConnectionLimits); it never reaches the routes, so rhizome_refusals has it not.
     */
    public void connectionRefused(String cap) {
        Counter.builder("rhizome_connections_refused").description("Connections refused as they opened, by the cap met")
                .tag("cap", cap).register(registry).increment();
    }

    /**
     * A connection the coordinator closed on its own, by reason: {@code idle} (nothing asked or
     * sent for the idle timeout), {@code write_stall} (its client read none of its replies for the
     * reply stall timeout), {@code reply_holders} (let go, the longest holder of unread replies, for
     * a neighbour), {@code request_budget} (its last request of the per-connection budget answered),
     * {@code request_timeout} and {@code slow_request} (a request not received within its deadline,
     * or arriving below the minimum data rate: 408), {@code refused} (a refusal that ends the
     * connection: framing in doubt, a body too large, no room), {@code reply_unwritable} (a reply
     * the socket would not take) and {@code pipeline_failure} (a handler failed). Each connection is
     * counted once, under the first reason; what a client closes is not counted.
     */
    public void connectionClosed(String reason) {
        Counter.builder("rhizome_connections_closed").description("Connections closed by the coordinator, by reason")
                .tag("reason", reason).register(registry).increment();
    }

    /** A claim answered with no unit because its address or network holds its leases' cap ({@code core.LeaseCaps}). */
    /** Claims held now, waiting for work (service.ClaimWaits). */
    public void watchHeldClaims(java.util.function.IntSupplier held) {
        Gauge.builder("rhizome_claims_waiting", () -> held.getAsInt())
                .description("Claims held until work opens or their wait ends").register(registry);
    }

    public void claimRefused(String reason) {
        Counter.builder("rhizome_claims_refused").description("Claims given no unit by a cap on leases held, by reason")
                .tag("reason", reason).register(registry).increment();
    }

    public void leaseGranted(String kind) {
        Counter.builder("rhizome_leases_granted").description("Leases handed out, by unit kind").tag("kind", kind)
                .register(registry).increment();
    }

    public void result(String status) {
        Counter.builder("rhizome_results").description("Results accepted, by status").tag("status", status)
                .register(registry).increment();
    }

    public void signatureRejected() {
        rejectedSignatures.increment();
    }

    public long rejectedSignatures() {
        return (long) rejectedSignatures.count();
    }

    public void committed(int transactions, long nanos) {
        commitBatch.record(transactions);
        commitTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The Prometheus text exposition, with the state gauges read fresh. */
    public String scrape() {
        Supplier<CoordinatorStats> s = stats;
        if (s != null) {
            snapshot = s.get();
        }
        return registry.scrape();
    }
}
