package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.AddressScope;
import dev.rhizome.coordinator.core.ReplayWindow;
import dev.rhizome.coordinator.core.Saturating;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.protocol.envelope.Verified;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims that wait for work (docs/api.md "Claims that wait"): a claim that found nothing and
 * carries {@code wait_s} is held, instead of answered "no work, retry in 15-60 s", until the store
 * says work may have opened ({@link Store#onUnitsOpened}) or its wait ends. A held claim costs no
 * thread and no store read while it waits: its HTTP request is answered later, and a wake-up runs
 * the held claims again one at a time on one thread of its own (never the event loop, never the
 * store's committer), the longest waiting first.
 *
 * <p>A wake-up stops after {@link #ROUND_MISSES} claims in a row that found nothing (those that
 * found nothing go to the back): a write that opens a unit or two does not cost a claim per held
 * claimant, and the rest keep waiting for the next one. A wake-up that comes while one runs
 * starts another after it, once. Work that opens with time (a lease's deadline, a reservation's
 * end, the end of a network's hold on a replica) is no commit: the claim's run tells when the
 * next such moment is ({@link Dispatcher.Attempt#opensAtMs}), and a timer runs it again then. A
 * commit that only ended leases (a result) wakes the claims a lease cap refused, and no other.
 * Held claims are bounded per address, per network and in total,
 * past which a claim is answered at once as before; each also holds its connection, under the
 * connection caps. A claim is served only inside its signature's replay window, and is answered
 * (nothing found) when the coordinator closes.
 */
public final class ClaimWaits implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClaimWaits.class);
    /** A give-back that failed, once per claim a client cut: bounded, as a client causes them. */
    private static final WarnBudget GIVE_BACK_FAILED = new WarnBudget(LOG);
    /** The longest a claim is held: under the clients' 30 s call timeout, with room for the claim itself. */
    public static final int MAX_WAIT_S = 20;
    /** Claims in a row that found nothing, after which a wake-up stops. */
    static final int ROUND_MISSES = 32;
    /** A claim is not held past its replay window less this (its last run must still pass the check). */
    private static final long WINDOW_MARGIN_MS = 5_000;
    /** A wait shorter than this is not worth holding a claim for. */
    private static final long SHORTEST_WAIT_MS = 1_000;

    /** Held claims at most: from one address (an IPv6 /64 as one), one network (a /24, a /48), and in all. */
    public record Limits(int perAddress, int perNetwork, int total) {
    }

    private final Dispatcher dispatcher;
    private final Clock clock;
    private final Limits limits;
    private final ScheduledExecutorService timer;
    private final ExecutorService waker;

    private final Object lock = new Object();
    /** Held claims in the order they will be run again (guarded by lock). */
    private final LinkedHashSet<Held> waiting = new LinkedHashSet<>();
    /**
     * The same held claims by their answer, and by their claimant and nonce (guarded by lock): a
     * client's FIN ({@link #endWait}) and every claim ({@link #letGoOfTheSameClaim}) find theirs
     * in one look-up, where each went through every held claim under the lock.
     */
    private final Map<CompletableFuture<ClaimResponse>, Held> byAnswer = new IdentityHashMap<>();
    private final Map<Twin, Held> byNonce = new HashMap<>();
    private final Map<String, Integer> byAddress = new HashMap<>();
    private final Map<String, Integer> byNetwork = new HashMap<>();
    private long wakeUps;
    private long leaseEnds;
    private boolean roundRunning;
    /** What the next round runs (guarded by lock): every held claim, those a cap refused, those whose time came. */
    private boolean wakeAll;
    private boolean wakeCapped;
    private boolean wakeDue;
    private boolean closed;
    private volatile RunHooks hooks = RunHooks.NONE;

    /** A claim as its claimant's key and nonce name it: the same signed claim sent again has the same. */
    private record Twin(ByteString node, ByteString nonce) {
        static Twin of(ClaimRequest claim) {
            return new Twin(claim.getNode(), claim.getNonce());
        }
    }

    /**
     * Where a test stands in a held claim's run again, on the waker's thread: before it runs, and
     * once it has asked whether it is still wanted (inside its transaction, before it leases).
     * Each gets the held claim's answer.
     */
    record RunHooks(Consumer<CompletableFuture<ClaimResponse>> beforeRun,
            Consumer<CompletableFuture<ClaimResponse>> afterAsked) {
        static final RunHooks NONE = new RunHooks(a -> { }, a -> { });
    }

    /** One held claim; its fields but the request are guarded by the lock. */
    private static final class Held {
        final Verified<ClaimRequest> request;
        final String origin;
        final String network;
        final ClaimResponse nothing;
        final CompletableFuture<ClaimResponse> answer = new CompletableFuture<>();
        ScheduledFuture<?> end;
        /** Its last run was refused at a lease cap: a lease that ends may let it in. */
        boolean refusedByCap;
        /** Run again at this moment: work kept from it by time alone opens then. */
        ScheduledFuture<?> opens;
        boolean due;
        /** Being run again now: whatever ends it meanwhile waits for that run's answer. */
        boolean running;
        boolean endWhenRun;
        /** Complete once it is no longer held (its last run, if any, over). */
        final CompletableFuture<Void> released = new CompletableFuture<>();

        Held(Verified<ClaimRequest> request, String origin, Dispatcher.Attempt first) {
            this.request = request;
            this.origin = origin;
            this.network = AddressScope.network(origin);
            this.nothing = first.response();
            this.refusedByCap = first.refusedByCap();
        }
    }

    public ClaimWaits(Dispatcher dispatcher, Store store, Clock clock, Limits limits) {
        this.dispatcher = dispatcher;
        this.clock = clock;
        this.limits = limits;
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("coordinator-claim-waits"));
        this.waker = Executors.newSingleThreadExecutor(daemon("coordinator-claim-waker"));
        store.onUnitsOpened(this::wakeUp);
        store.onLeasesEnded(this::leasesEnded);
    }

    /**
     * Claims; the answer is complete at once when the claim found work, will not wait, or may not
     * be held, and otherwise once work came for it or its wait ended ({@link ClaimResponse#getWaited}).
     * Cancelling the answer (its client went away) lets the claim go, unless it is being run again.
     */
    public CompletableFuture<ClaimResponse> claim(Verified<ClaimRequest> request, String origin) {
        letGoOfTheSameClaim(request.record());
        long seen;
        long seenEnds;
        synchronized (lock) {
            seen = wakeUps;
            seenEnds = leaseEnds;
        }
        ClaimRequest claim = request.record();
        if (claim.getWaitS() == 0) {
            return CompletableFuture.completedFuture(dispatcher.claim(request, origin));
        }
        Dispatcher.Attempt attempt = dispatcher.claimToWait(request, origin);
        ClaimResponse first = attempt.response();
        if (first.hasUnit() || first.getDirectionClosed()) {
            return CompletableFuture.completedFuture(first);
        }
        long now = clock.millis();
        long until = Math.min(Saturating.plus(now, Math.min(claim.getWaitS(), MAX_WAIT_S) * 1000L),
                Saturating.plus(claim.getTimeMs(), ReplayWindow.WINDOW.toMillis() - WINDOW_MARGIN_MS));
        if (until - now < SHORTEST_WAIT_MS) {
            return CompletableFuture.completedFuture(first);
        }
        Held held = new Held(request, origin, attempt);
        synchronized (lock) {
            if (closed || !admit(held)) {
                return CompletableFuture.completedFuture(first);
            }
            waiting.add(held);
            byAnswer.put(held.answer, held);
            byNonce.put(Twin.of(claim), held);
            held.end = timer.schedule(() -> end(held), until - now, TimeUnit.MILLISECONDS);
            runAgainAt(held, attempt.opensAtMs(), now, until);
            // work that opened between the first run and now is not missed
            if (wakeUps != seen) {
                wakeAll = true;
                startRound();
            } else if (leaseEnds != seenEnds && held.refusedByCap) {
                wakeCapped = true;
                startRound();
            }
        }
        held.answer.whenComplete((answer, failure) -> {
            if (held.answer.isCancelled()) {
                end(held);
            }
        });
        return held.answer;
    }

    /** How long a claim sent again waits for its held twin's run in progress (one store transaction). */
    private static final long TWIN_RUN_WAIT_MS = 10_000;

    /**
     * The same signed claim sent again while it is held here (its claimant stopped and cut the first
     * request, and asks what became of it): the held one lets go first, and one being run again
     * finishes its run, so that the claim sent again finds by its nonce whatever that run leased
     * ({@link Dispatcher}), or is told the nonce was used for nothing; held on, it could lease a
     * unit after that answer, leased to a claimant told there was none.
     */
    private void letGoOfTheSameClaim(ClaimRequest claim) {
        Held twin;
        synchronized (lock) {
            twin = byNonce.get(Twin.of(claim));
            if (twin == null) {
                return;
            }
            if (!twin.running) {
                release(twin);
            } else {
                twin.endWhenRun = true;
            }
        }
        if (!twin.answer.isDone()) {
            twin.answer.complete(waited(twin));  // its request was cut: nobody reads this
        }
        try {
            twin.released.get(TWIN_RUN_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // the run did not end in time: the claim sent again goes on and finds what was committed
        }
    }

    /**
     * Ends a held claim's wait now, answered "nothing came" as at its wait's end: its client shut
     * its side of the connection (a FIN). Such a client may still read, so it is answered; one that
     * closed whole is told apart only by that write, and held on until its wait ended it could be
     * leased a unit nobody would run, its connection's place held meanwhile. A claim being run
     * again ends when that run does, leasing nothing ({@link #stillWanted}).
     */
    public void endWait(CompletableFuture<ClaimResponse> answer) {
        Held held;
        synchronized (lock) {
            held = byAnswer.get(answer);
        }
        if (held != null) {
            end(held);
        }
    }

    /** Claims held now. */
    public int held() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    /** The store committed work that may fit a held claim. */
    private void wakeUp() {
        synchronized (lock) {
            wakeUps++;
            if (!waiting.isEmpty()) {
                wakeAll = true;
                startRound();
            }
        }
    }

    /** The store committed the end of leases, and nothing else: a claim a lease cap refused may now pass it. */
    private void leasesEnded() {
        synchronized (lock) {
            leaseEnds++;
            if (waiting.stream().anyMatch(h -> h.refusedByCap)) {
                wakeCapped = true;
                startRound();
            }
        }
    }

    /** Sets the held claim's timer for work that opens with time, where that comes before its wait ends (guarded by lock). */
    private void runAgainAt(Held held, long opensAtMs, long now, long until) {
        if (held.opens != null) {
            held.opens.cancel(false);
            held.opens = null;
        }
        if (opensAtMs < until) {
            held.opens = timer.schedule(() -> {
                synchronized (lock) {
                    if (waiting.contains(held)) {
                        held.due = true;
                        wakeDue = true;
                        startRound();
                    }
                }
            }, Math.max(0, opensAtMs - now), TimeUnit.MILLISECONDS);
        }
    }

    private void startRound() {
        if (roundRunning) {
            return;  // the running round looks at the flags again when it ends
        }
        try {
            waker.execute(this::rounds);
            roundRunning = true;
        } catch (RejectedExecutionException closing) {
            // closed: the held claims are answered by close
        }
    }

    private void rounds() {
        try {
            while (true) {
                List<Held> order = new ArrayList<>();
                synchronized (lock) {
                    for (Held held : waiting) {
                        if (wakeAll || (wakeCapped && held.refusedByCap) || (wakeDue && held.due)) {
                            order.add(held);
                        }
                    }
                    wakeAll = false;
                    wakeCapped = false;
                    wakeDue = false;
                }
                round(order);
                synchronized (lock) {
                    if (!(wakeAll || wakeCapped || wakeDue) || waiting.isEmpty() || closed) {
                        roundRunning = false;
                        return;
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            synchronized (lock) {
                roundRunning = false;
            }
            LOG.warn("a wake-up of the held claims failed: {}", e.toString());
        }
    }

    private void round(List<Held> order) {
        int misses = 0;
        for (Held held : order) {
            if (misses >= ROUND_MISSES) {
                return;
            }
            synchronized (lock) {
                if (!waiting.contains(held) || closed) {
                    continue;
                }
                held.running = true;
            }
            ClaimResponse again = null;
            Dispatcher.Attempt attempt = null;
            RuntimeException failure = null;
            RunHooks hooks = this.hooks;
            try {
                hooks.beforeRun().accept(held.answer);
                attempt = dispatcher.claimHeld(held.request, held.origin, () -> {
                    boolean wanted = stillWanted(held);
                    hooks.afterAsked().accept(held.answer);
                    return wanted;
                });
                again = attempt.response();
            } catch (RuntimeException e) {
                failure = e;  // answered as the first run's failure would have been (the route maps it)
            }
            if (again != null && again.hasUnit() && !held.answer.complete(again) && held.answer.isCancelled()) {
                // Its client went between the run's last question and its commit: the lease goes
                // back now, before the claim is let go (a twin sent again then finds it given back).
                giveBack(held, again);
            }
            boolean done = failure != null || again.hasUnit() || again.getDirectionClosed();
            boolean ended;
            synchronized (lock) {
                held.running = false;
                ended = done || held.endWhenRun || closed;
                if (ended) {
                    release(held);
                } else {
                    waiting.remove(held);
                    waiting.add(held);  // to the back: the next wake-up tries the others first
                    held.due = false;
                    held.refusedByCap = attempt.refusedByCap();
                    long now = clock.millis();
                    runAgainAt(held, attempt.opensAtMs(), now, now + held.end.getDelay(TimeUnit.MILLISECONDS));
                }
            }
            misses = again != null && again.hasUnit() ? 0 : misses + 1;
            if (failure != null) {
                held.answer.completeExceptionally(failure);
            } else if (done) {
                held.answer.complete(again);
            } else if (ended) {
                held.answer.complete(waited(held));
            }
        }
    }

    /**
     * Asked by a held claim's run inside its transaction, before it leases: a claim whose client
     * went away (or shut its side) while it ran leases nothing, where it used to lease a unit to
     * nobody, held until its lease ran out. A client gone (its answer cancelled) between this and
     * the commit has that lease given back once the run is over ({@link #giveBack}).
     */
    private boolean stillWanted(Held held) {
        synchronized (lock) {
            return !held.endWhenRun && !held.answer.isDone();
        }
    }

    /** A lease whose answer nobody will read: given back, or left to its deadline if that fails. */
    private void giveBack(Held held, ClaimResponse leased) {
        try {
            dispatcher.giveBackUnanswered(leased.getUnit().getId(), held.request.record().getNode());
        } catch (RuntimeException e) {
            GIVE_BACK_FAILED.warn("unit {} leased to a claim whose client left stays leased until its deadline: {}",
                    leased.getUnit().getId(), e.toString());
        }
    }

    /** Test hooks in a held claim's run again (package-private: tests only). */
    void hooks(RunHooks hooks) {
        this.hooks = hooks;
    }

    /** Its wait is over, or its client went away: answered "nothing came", unless being run now. */
    private void end(Held held) {
        synchronized (lock) {
            if (!waiting.contains(held)) {
                return;
            }
            if (held.running) {
                held.endWhenRun = true;
                return;
            }
            release(held);
        }
        held.answer.complete(waited(held));
    }

    private static ClaimResponse waited(Held held) {
        return held.nothing.toBuilder().setWaited(true).build();
    }

    private boolean admit(Held held) {
        if (waiting.size() >= limits.total()
                || byNetwork.getOrDefault(held.network, 0) >= limits.perNetwork()
                || byAddress.getOrDefault(held.origin, 0) >= limits.perAddress()) {
            return false;
        }
        byAddress.merge(held.origin, 1, Integer::sum);
        byNetwork.merge(held.network, 1, Integer::sum);
        return true;
    }

    private void release(Held held) {
        if (waiting.remove(held)) {
            byAnswer.remove(held.answer);
            byNonce.remove(Twin.of(held.request.record()), held);
            byAddress.computeIfPresent(held.origin, (k, n) -> n > 1 ? n - 1 : null);
            byNetwork.computeIfPresent(held.network, (k, n) -> n > 1 ? n - 1 : null);
            if (held.end != null) {
                held.end.cancel(false);
            }
            if (held.opens != null) {
                held.opens.cancel(false);
            }
            held.released.complete(null);
        }
    }

    /**
     * Answers every held claim (nothing came) and lets a claim being run again finish with its own
     * answer; called before the HTTP server and the store close, so each is answered.
     */
    @Override
    public void close() {
        List<Held> answered = new ArrayList<>();
        synchronized (lock) {
            closed = true;
            for (Held held : new ArrayList<>(waiting)) {
                if (held.running) {
                    held.endWhenRun = true;
                } else {
                    release(held);
                    answered.add(held);
                }
            }
        }
        answered.forEach(held -> held.answer.complete(waited(held)));
        waker.shutdown();
        try {
            waker.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
