package dev.rhizome.node.gossip.net;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.FetchFailure;
import dev.rhizome.node.gossip.core.PeerAddressing;
import dev.rhizome.node.peer.FetchResult;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the core's Fetch and CancelFetch on the {@link FetchWorkers}, and turns what the
 * workers report (progress, a holder's fault, the bundle imported, the fetch failed) into the
 * core's steps on the core thread; an imported bundle also completes its {@link FetchWaiters} and
 * tells the {@link GossipService.Listener}s. Whom to fetch from, and what a fault costs, is the core's.
 */
final class GossipFetches {
    private static final Logger log = LoggerFactory.getLogger(GossipFetches.class);
    /** Each line carries a stack trace, and a holder may find an outcome whose step throws and repeat it. */
    private static final WarnBudget OUTCOME_FAILURES = new WarnBudget(log);
    private static final String IMPORTED = "imported";
    private final CoreSteps steps;
    private final LinkRegistry links;
    private final FetchWorkers workers;
    private final FetchWaiters waiters;
    private final NodeRepository repo;
    private final List<GossipService.Listener> listeners;
    private final GossipMeters meters;

    GossipFetches(CoreSteps steps, LinkRegistry links, FetchWorkers workers, FetchWaiters waiters, NodeRepository repo,
                  List<GossipService.Listener> listeners, GossipMeters meters) {
        this.steps = steps;
        this.links = links;
        this.workers = workers;
        this.waiters = waiters;
        this.repo = repo;
        this.listeners = listeners;
        this.meters = meters;
    }

    /**
     * On the core thread: starts a Fetch at the addresses the core gave (its peer's first, then the
     * other holders it knows, to take pieces from), or at the link's hello for a protocol that gives none.
     */
    void start(Effect.Fetch fetch) {
        List<PeerAddressing> holders = new ArrayList<>(fetch.addresses());
        if (fetch.where() == null) {
            NodeInfo where = links.info(fetch.from());
            GossipLink link = links.get(fetch.from());
            if (where == null || link == null) {
                lost(fetch);
                return;
            }
            holders.removeIf(h -> h.info().getNode().equals(where.getNode()));
            holders.add(0, new PeerAddressing(where, link.remote().reach()));
        }
        // A holder without a host: its hello named an address out of its link's reach, never to be dialled.
        holders.removeIf(h -> h.info().getHost().isEmpty());
        if (holders.isEmpty() || !holders.get(0).info().getNode().equals(fetch.from().toByteString())) {
            lost(fetch);
            return;
        }
        meters.fetchStarted();
        workers.start(new FetchWorkers.Key(fetch.from(), fetch.commit()), holders, outcomes);
    }

    private void lost(Effect.Fetch fetch) {
        steps.run(p -> p.onFetchFailed(fetch.from(), fetch.commit(), FetchFailure.CONNECTION_LOST, steps.nowMs()));
    }

    void cancel(Effect.CancelFetch cancel) {
        workers.cancel(new FetchWorkers.Key(cancel.from(), cancel.commit()));
    }

    /** Who served {@code result}: the key its holder proved, else the transfer's own peer. */
    static PublicId servedBy(FetchWorkers.Transfer t, FetchResult result) {
        return result.from() != null && result.from().getNode().size() == PublicId.LENGTH ? PublicId.of(result.from().getNode()) : t.from();
    }

    private final FetchWorkers.Outcomes outcomes = new FetchWorkers.Outcomes() {
        @Override
        public void progress(FetchWorkers.Transfer t, long bytesSoFar) {
            steps.later(() -> {
                if (workers.isCurrent(t)) {
                    during(t, "progress at " + bytesSoFar + " bytes", p -> p.onFetchProgress(t.from(), t.commit(), bytesSoFar, steps.nowMs()));
                }
            });
        }

        @Override
        public void fetched(FetchWorkers.Transfer t, FetchResult result) {
            steps.later(() -> {
                if (workers.finish(t)) {
                    // Told who served, as the core credits below: a listener counting deliveries (a benchmark's
                    // who-served-whom) was told the dead hint the transfer was started for.
                    PublicId servedBy = servedBy(t, result);
                    listeners.forEach(l -> l.fetched(t.commit(), servedBy, result.bytes()));
                    // Asked again here, on the core thread: the janitor may have given the commit up
                    // since the worker imported it, and its withdrawal, which came first, named a
                    // commit the core did not hold yet; announced now, it would be a claim no
                    // withdrawal follows.
                    // The delivery is credited to the holder that proved its key and served the bundle (a fetch
                    // in pieces: the one whose header it followed), not to the peer the transfer was started
                    // for: a hint whose address led nowhere, its bundle served by the others, was credited
                    // a delivery, which ended the rest its dead address had earned.
                    ended(t, IMPORTED, p -> p.onFetched(servedBy, t.commit(), result.bytes(), repo.has(t.commit()), steps.nowMs()));
                }
                waiters.complete(t.commit(), result);
            });
        }

        @Override
        public void holderFault(FetchWorkers.Transfer t, PublicId holder, FetchFailure failure, long silentForMs) {
            // When the range fell silent, on the core's clock, read as the verdict comes (not when the core gets to it).
            long silentSinceMs = steps.nowMs() - silentForMs;
            // A fault proven is the holder's to pay even when the transfer was cancelled meanwhile.
            steps.later(() -> during(t, "holder " + holder.shortForm() + " at fault: " + failure,
                    p -> p.onHolderFault(holder, t.commit(), failure, silentSinceMs, steps.nowMs())));
        }

        @Override
        public void holderBusy(FetchWorkers.Transfer t, PublicId holder, long retryAfterMs) {
            steps.later(() -> during(t, "holder " + holder.shortForm() + " busy",
                    p -> p.onHolderBusy(holder, t.commit(), retryAfterMs, steps.nowMs())));
        }

        @Override
        public void failed(FetchWorkers.Transfer t, FetchFailure failure) {
            steps.later(() -> {
                if (workers.finish(t)) {
                    ended(t, "failed " + failure, p -> p.onFetchFailed(t.from(), t.commit(), failure, steps.nowMs()));
                }
            });
        }

        @Override
        public void busy(FetchWorkers.Transfer t, long retryAfterMs) {
            steps.later(() -> {
                if (workers.finish(t)) {
                    ended(t, "answered busy", p -> p.onFetchBusy(t.from(), t.commit(), retryAfterMs, steps.nowMs()));
                }
            });
        }
    };

    /**
     * Core thread: the step telling the core a fetch ended. One that throws left the fetch in flight
     * in the core for ever: its slot taken, the commit never asked of another holder, and the work
     * loop's caller ({@link FetchWaiters}, which waits without a deadline) never answered; nor
     * did a bundle imported complete its waiters. It is ended in the core as a lost connection
     * instead (free to the holder; the next one is asked, or the commit reported unavailable).
     */
    private void ended(FetchWorkers.Transfer t, String how, Function<PeerProtocol, List<Effect>> step) {
        try {
            steps.run(step);
        } catch (RuntimeException e) {
            OUTCOME_FAILURES.error(failedLine(t, how), e);
            // An imported bundle's callers are answered with it whatever the core makes of it.
            lostInCore(t, !how.equals(IMPORTED));
        }
    }

    /**
     * Core thread: a step while the fetch goes on (its progress, a verdict on one of the holders its
     * pieces come from). One that throws leaves the core's view of the fetch unknown (its stall
     * clock, its holders' standing) while the transfer goes on: it is ended as {@link #ended} ends
     * one, its pieces' connections closed by the cancellation, rather than left for the stall rule
     * to end (which scores the holder a staller) or for nobody to end.
     */
    private void during(FetchWorkers.Transfer t, String how, Function<PeerProtocol, List<Effect>> step) {
        try {
            steps.run(step);
        } catch (RuntimeException e) {
            OUTCOME_FAILURES.error(failedLine(t, how), e);
            if (workers.finish(t)) {
                t.cancel().cancel();
                lostInCore(t, true);
            }
        }
    }

    private static String failedLine(FetchWorkers.Transfer t, String how) {
        return "gossip core step for the fetch of " + t.commit() + " from " + t.from().shortForm()
                + " (" + how + ") failed; the fetch is ended as a lost connection";
    }

    /**
     * Core thread: tells the core the fetch was lost. Should that step throw too, the core cannot
     * be told, so nobody would answer the fetch's callers: they are answered here.
     */
    private void lostInCore(FetchWorkers.Transfer t, boolean answerCallers) {
        try {
            steps.run(p -> p.onFetchFailed(t.from(), t.commit(), FetchFailure.CONNECTION_LOST, steps.nowMs()));
        } catch (RuntimeException again) {
            OUTCOME_FAILURES.error("gossip core step ending the fetch of " + t.commit() + " failed too", again);
            if (answerCallers) {
                waiters.fail(t.commit(), "the gossip core failed ending its fetch from " + t.from().shortForm());
            }
        }
    }
}
