package dev.rhizome.coordinator;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.http.HttpServer;
import dev.rhizome.coordinator.http.Routes;
import dev.rhizome.coordinator.http.TrustedProxies;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.service.DashboardView;
import dev.rhizome.coordinator.service.ClaimWaits;
import dev.rhizome.coordinator.service.Dispatcher;
import dev.rhizome.coordinator.service.ExperimentRegistry;
import dev.rhizome.coordinator.service.KeyBans;
import dev.rhizome.coordinator.service.OperatorActions;
import dev.rhizome.coordinator.service.Operators;
import dev.rhizome.coordinator.service.PaperRegistry;
import dev.rhizome.coordinator.service.PeerDirectory;
import dev.rhizome.coordinator.service.NetworkId;
import dev.rhizome.coordinator.service.ResultIntake;
import dev.rhizome.coordinator.service.ResultReceipts;
import dev.rhizome.coordinator.service.SeedsAndDirections;
import dev.rhizome.coordinator.service.Views;
import dev.rhizome.coordinator.service.WriteQuotas;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.StoreException;
import dev.rhizome.coordinator.store.Stores;
import dev.rhizome.protocol.WorkerFailures;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running coordinator: the store on disk, the services over it, and the HTTP server in front. */
public final class Coordinator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);

    /** How often leases past their deadline are ended and old claim nonces forgotten. */
    static final Duration SWEEP_INTERVAL = Duration.ofSeconds(1);

    private final Store store;
    private final HttpServer server;
    private final String host;
    private final ScheduledExecutorService sweeper;
    private final ClaimWaits claims;

    private Coordinator(Store store, HttpServer server, String host, ScheduledExecutorService sweeper,
            ClaimWaits claims) {
        this.claims = claims;
        this.store = store;
        this.server = server;
        this.host = host;
        this.sweeper = sweeper;
    }

    public static Coordinator start(CoordinatorConfig config) throws IOException, InterruptedException {
        Operators operators = new Operators(config.operators());
        if (operators.isOpen()) {
            LOG.warn("no operators configured (--operator): any key may publish seeds, open and close directions "
                    + "and ban keys; fine on a private network, not on a public one");
        }
        CoordinatorMetrics metrics = new CoordinatorMetrics();
        Store store = Stores.open(config.store(), config.dataDir(), metrics::committed);
        try {
            Clock clock = config.clock();
            WriteQuotas quotas = new WriteQuotas(config.limits().dailyWrites());
            Dispatcher dispatcher = new Dispatcher(store, clock, new Leases(config.leaseDuration()),
                    new ClaimPolicy(config.selfEvaluateAfter()), new Dispatcher.ClaimLimits(
                            config.limits().maxLeasesPerNode(), config.limits().maxRenewalsPerLease()), quotas,
                    config.limits().leasesHeld(), metrics::claimRefused);
            ClaimWaits claims = new ClaimWaits(dispatcher, store, clock, new ClaimWaits.Limits(
                    config.limits().maxConnectionsPerAddress(), config.limits().maxConnectionsPerNetwork(),
                    config.limits().maxConnections()));
            metrics.watchHeldClaims(claims::held);
            Views views = new Views(store, metrics::rejectedSignatures, clock::millis);
            metrics.watch(store, views::storedStats);
            metrics.watchSharedPages(views.sharedPages()::built, views.sharedPages()::shared,
                    views.sharedPages()::waitedOut);
            KeyBans bans = new KeyBans(store, clock::millis);
            PeerDirectory peers = new PeerDirectory(store, clock, quotas);
            Routes.Services services = new Routes.Services(
                    new SeedsAndDirections(store, clock, operators, quotas),
                    new ExperimentRegistry(store, clock, quotas),
                    new PaperRegistry(store, clock, quotas),
                    dispatcher,
                    claims,
                    new ResultIntake(store, clock, new SecureRandom()::nextDouble, new ResultReceipts(store, clock,
                            ResultReceipts.loadKey(config.dataDir()), new NetworkId(store))),
                    peers,
                    views,
                    new DashboardView(store, views, peers),
                    new OperatorActions(store, clock, operators, bans),
                    bans,
                    store::trouble);
            HttpServer server = HttpServer.start(config.host(), config.port(), config.maxBodyBytes(), config.limits(),
                    services, metrics, TrustedProxies.of(config.trustedProxies(), config.trustedProxyHeader()));
            ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "coordinator-lease-sweeper");
                t.setDaemon(true);
                return t;
            });
            sweeper.scheduleWithFixedDelay(WorkerFailures.periodic(LOG, "the lease sweep", () -> sweep(dispatcher)),
                    SWEEP_INTERVAL.toMillis(),
                    SWEEP_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            Coordinator coordinator = new Coordinator(store, server, config.host(), sweeper, claims);
            LOG.info("coordinator listening on {} with data in {}; dashboard {}/, Prometheus metrics {}/metrics",
                    coordinator.url(), config.dataDir(), coordinator.url(), coordinator.url());
            return coordinator;
        } catch (Throwable e) { // the server's bind failure too (a BindException, checked, rethrown by Netty undeclared)
            store.close();
            throw e;
        }
    }

    private static void sweep(Dispatcher dispatcher) {
        try {
            dispatcher.sweep();
        } catch (RuntimeException e) {
            if (StoreException.isDiskFull(e) || StoreException.isUnavailable(e)) {
                // the store has told the operator, once; a line a second adds nothing
                LOG.debug("lease sweep failed, will retry: {}", e.toString());
                return;
            }
            LOG.warn("lease sweep failed, will retry: {}", e.toString());  // a later sweep catches up
        }
    }

    /**
     * Completes when the store this coordinator waited for at start refused it for good (see
     * {@link Store#refusal}): it answers 503 from then on, and its process should exit.
     */
    public CompletionStage<IOException> storeRefused() {
        return store.refusal();
    }

    public int port() {
        return server.port();
    }

    public String url() {
        String literal = host.contains(":") ? "[" + host + "]" : host;
        return "http://" + literal + ":" + port();
    }

    /** Stops serving first, so no request can be acknowledged after the store is closed. */
    @Override
    public void close() {
        sweeper.shutdownNow();
        try {
            sweeper.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        claims.close();  // held claims are answered while the server still sends
        server.close();
        store.close();
    }
}
