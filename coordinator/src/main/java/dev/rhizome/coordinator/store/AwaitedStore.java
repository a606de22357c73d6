package dev.rhizome.coordinator.store;

import java.io.IOException;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store whose database did not answer when the coordinator started (PostgreSQL still starting,
 * or down, as after a reboot of both machines): the coordinator serves at once and opens the
 * store in the background, trying again with backoff (1 s, doubling up to 30 s) and logging each
 * attempt. Until it opens, every request is answered 503 ("database is unavailable") and
 * {@code /healthz} is 503 "store unavailable", so a supervisor or load balancer sees a coordinator
 * that is up but not ready, rather than one that exits and is restarted in a loop. A failure that
 * waiting will not cure (a wrong password, a database that does not exist) is not waited for:
 * {@link Stores#open} throws it at once (see {@link StoreException#isUnavailable}); one that appears
 * only once the database answers (it was down at the first attempt) ends the waiting with an ERROR
 * line and completes {@link #refusal}, on which the coordinator's command exits naming it.
 */
final class AwaitedStore implements Store {
    private static final Logger LOG = LoggerFactory.getLogger(AwaitedStore.class);
    static final long FIRST_WAIT_MS = 1_000;
    static final long LONGEST_WAIT_MS = 30_000;

    private final String address;
    private final Callable<Store> opener;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Thread thread;
    private volatile Store store;
    private volatile Exception lastFailure;
    private volatile int attempts;
    private final CompletableFuture<IOException> refusal = new CompletableFuture<>();
    private boolean closed;  // guarded by this
    private final java.util.List<java.util.function.Consumer<Store>> pendingListeners = new java.util.ArrayList<>();  // guarded by this

    /** Starts waiting for the store; {@code firstFailure} is why the first attempt, already made, failed. */
    AwaitedStore(String address, Callable<Store> opener, IOException firstFailure) {
        this.address = address;
        this.opener = opener;
        this.attempts = 1;
        this.lastFailure = firstFailure;
        thread = new Thread(this::open, "coordinator-store-opener");
        thread.setDaemon(true);
        thread.start();
    }

    private void open() {
        long waitMs = FIRST_WAIT_MS;
        while (true) {
            if (MigrationBounds.isCut(lastFailure)) {
                LOG.warn("{}: schema migration cut at attempt {} ({}); trying it again in {} s, requests are refused "
                        + "(503) meanwhile", address, attempts, MigrationBounds.cut(lastFailure), waitMs / 1000);
            } else {
                LOG.warn("{}: store unavailable ({}, attempt {}); trying again in {} s, requests are refused (503) meanwhile",
                        address, lastFailure.getMessage(), attempts, waitMs / 1000);
            }
            try {
                if (closing.await(waitMs, TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            waitMs = Math.min(LONGEST_WAIT_MS, waitMs * 2);
            attempts++;
            try {
                Store opened = opener.call();
                synchronized (this) {
                    if (closed) {
                        opened.close();
                        return;
                    }
                    pendingListeners.forEach(listen -> listen.accept(opened));
                    pendingListeners.clear();
                    store = opened;
                }
                LOG.info("{}: store opened at attempt {}; taking requests", address, attempts);
                return;
            } catch (Exception e) {
                lastFailure = e;
                if (!StoreException.isUnavailable(e)) {
                    refuse(e);
                    return;
                }
            }
        }
    }

    /** The database answered and refused: retrying would only repeat the refusal, a WARN line each time. */
    private void refuse(Exception e) {
        lastFailure = e;
        LOG.error("{}: the database answered at attempt {} and refused the coordinator: {}; waiting will not cure "
                + "this, so the coordinator stops waiting (check the store address: user, password, database)",
                address, attempts, e.getMessage());
        refusal.complete(e instanceof IOException io ? io : new IOException(e.getMessage(), e));
    }

    @Override
    public CompletionStage<IOException> refusal() {
        return refusal.minimalCompletionStage();
    }

    private Store store() {
        Store s = store;
        if (s == null) {
            Exception failure = lastFailure;
            throw new StoreException(MigrationBounds.isCut(failure)
                    ? "the coordinator's schema migration has not finished since it started"
                    : "the coordinator's database has not been reached since it started",
                    new SQLTransientConnectionException(failure.getMessage(), "08001"));
        }
        return s;
    }

    @Override
    public <T> T inTransaction(Work<T> work) {
        return store().inTransaction(work);
    }

    @Override
    public <T> T inKeyedTransaction(List<String> keys, Work<T> work) {
        return store().inKeyedTransaction(keys, work);
    }

    @Override
    public <T> T inSettlingTransaction(Work<T> work) {
        return store().inSettlingTransaction(work);
    }

    @Override
    public <T> T inReadTransaction(Work<T> work) {
        return store().inReadTransaction(work);
    }

    /** Kept until the store opens, then handed to it: the claims held meanwhile are answered 503 anyway. */
    @Override
    public void onUnitsOpened(Runnable listener) {
        synchronized (this) {
            Store s = store;
            if (s == null) {
                pendingListeners.add(opened -> opened.onUnitsOpened(listener));
                return;
            }
        }
        store.onUnitsOpened(listener);
    }

    @Override
    public void onLeasesEnded(Runnable listener) {
        synchronized (this) {
            Store s = store;
            if (s == null) {
                pendingListeners.add(opened -> opened.onLeasesEnded(listener));
                return;
            }
        }
        store.onLeasesEnded(listener);
    }

    @Override
    public long rowsRead() {
        Store s = store;
        return s == null ? 0 : s.rowsRead();
    }

    @Override
    public long writeVersion() {
        Store s = store;
        return s == null ? WriteVersion.NONE : s.writeVersion();
    }

    @Override
    public boolean writtenByOthers() {
        Store s = store;
        return s == null || s.writtenByOthers();
    }

    @Override
    public long queriesRun() {
        Store s = store;
        return s == null ? 0 : s.queriesRun();
    }

    @Override
    public long statementsRun() {
        Store s = store;
        return s == null ? 0 : s.statementsRun();
    }

    @Override
    public long readSteps() {
        Store s = store;
        return s == null ? 0 : s.readSteps();
    }

    @Override
    public Optional<String> trouble() {
        Store s = store;
        if (s != null) {
            return s.trouble();
        }
        if (refusal.isDone()) {
            return Optional.of("store unavailable: " + address + " refused for good (it answered at attempt "
                    + attempts + "): " + refusal.join().getMessage());
        }
        Exception failure = lastFailure;
        if (MigrationBounds.isCut(failure)) {
            // the database answered: "has not answered" sent an operator to look at the network
            return Optional.of("store not ready: the schema migration of " + address + " was cut at attempt " + attempts
                    + " and is tried again every " + LONGEST_WAIT_MS / 1000 + " s at most; free what holds it, or raise "
                    + "migrate_timeout=SECONDS in the store address and restart the coordinator (" + MigrationBounds.cut(failure)
                    + ")");
        }
        return Optional.of("store unavailable: " + address + " has not answered since the coordinator started ("
                + attempts + " attempts, the last: " + failure.getMessage() + ")");
    }

    @Override
    public void close() {
        Store s;
        synchronized (this) {
            closed = true;
            s = store;
        }
        closing.countDown();
        if (s != null) {
            s.close();
        }
    }
}
