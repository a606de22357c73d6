package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.FetchFailure;
import dev.rhizome.node.gossip.core.PeerAddressing;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.Cancellation;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.FetchResult;
import dev.rhizome.node.peer.HolderVerdicts;
import dev.rhizome.node.peer.PeerFailure;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.identity.PublicId;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the core's Fetch effects: as many workers as the core hands out fetches at once (so each
 * starts at once and its stall clock is fair), each transfer cancellable. Outcomes go back to the
 * core thread through {@link Outcomes}, with a check that the fetch was not cancelled meanwhile.
 */
final class FetchWorkers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FetchWorkers.class);
    /** Peers announcing what they then fail to serve (identities cost nothing) would write a line per claim. */
    private static final WarnBudget FAILED = new WarnBudget(log);
    private static final WarnBudget DECLINED = new WarnBudget(log);
    private static final WarnBudget HOLDERS_FAILED = new WarnBudget(log);
    /** Cancelled transfers end at once; an import or a pack scan under way ends within this on a loaded machine. */
    private static final long CLOSE_WAIT_SECONDS = 10;

    /** Where outcomes go; each method is called on a worker and must post to the core thread itself. */
    interface Outcomes {
        void progress(Transfer transfer, long bytesSoFar);

        void fetched(Transfer transfer, FetchResult result);

        void failed(Transfer transfer, FetchFailure failure);

        /** The holder answered BUSY with a hint of when it expects room again (ms; 0: none): a decline. */
        default void busy(Transfer transfer, long retryAfterMs) {
            failed(transfer, FetchFailure.DECLINED);
        }

        /**
         * Another holder asked for pieces of this transfer was proven at fault; for a stall,
         * {@code silentForMs} is how long its range has been silent as of this call, dated from where
         * its rule observed the silence ({@code PeerFailure#silentForMs}), not from when the verdict
         * reached this thread (0 otherwise).
         */
        void holderFault(Transfer transfer, PublicId holder, FetchFailure failure, long silentForMs);

        /** A holder asked for pieces of this transfer (its own peer or another) answered BUSY with a hint (ms, &gt; 0). */
        default void holderBusy(Transfer transfer, PublicId holder, long retryAfterMs) {
        }
    }

    record Key(PublicId from, String commit) {
    }

    /** One transfer: a later one of the same key (after a cancel) is another transfer. */
    record Transfer(Key key, Cancellation cancel) {
        PublicId from() {
            return key.from();
        }

        String commit() {
            return key.commit();
        }
    }

    private final BundleFetcher fetcher;
    private final PeerResolver resolver;
    private final ExecutorService pool;
    private final Map<Key, Cancellation> running = new ConcurrentHashMap<>();

    FetchWorkers(BundleFetcher fetcher, PeerResolver resolver, int workers, String name) {
        this.fetcher = fetcher;
        this.resolver = resolver;
        this.pool = Executors.newFixedThreadPool(workers, CoreThread.daemon(name));
    }

    /**
     * Starts a transfer from {@code holders} (the key's peer first): in pieces when there are several.
     * Each holder's host is resolved on the worker ({@link PeerResolver}); one that resolves only out
     * of its reach is not asked, and when that is the key's peer the transfer fails as a lost connection.
     */
    void start(Key key, List<PeerAddressing> holders, Outcomes outcomes) {
        Transfer transfer = new Transfer(key, new Cancellation());
        Cancellation replaced = running.put(key, transfer.cancel());
        if (replaced != null) {
            replaced.cancel();
        }
        try {
            pool.execute(() -> run(transfer, List.copyOf(holders), outcomes));
        } catch (RejectedExecutionException e) {
            running.remove(key, transfer.cancel());  // closing
        }
    }

    /** Whether {@code key} is still the transfer the core is waiting for (not cancelled, not replaced). */
    boolean isCurrent(Transfer transfer) {
        return running.get(transfer.key()) == transfer.cancel();
    }

    /** Ends the transfer's bookkeeping; true if it was still current (its outcome should reach the core). */
    boolean finish(Transfer transfer) {
        return running.remove(transfer.key(), transfer.cancel());
    }

    void cancel(Key key) {
        Cancellation cancel = running.remove(key);
        if (cancel != null) {
            cancel.cancel();
        }
    }

    /** Runs {@code task} on a worker (a file write, a slow bootstrap source), off the core thread. */
    void execute(Runnable task) {
        try {
            pool.execute(task);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void run(Transfer transfer, List<PeerAddressing> addresses, Outcomes outcomes) {
        Key key = transfer.key();
        List<PeerEndpoint> holders = resolved(key, addresses);
        if (holders.isEmpty() || !holders.get(0).getNode().equals(key.from().toByteString())) {
            outcomes.failed(transfer, FetchFailure.CONNECTION_LOST);
            return;
        }
        if (holders.size() > 1) {
            runRanged(transfer, holders, outcomes);
            return;
        }
        try {
            FetchResult result = fetcher.fetchFrom(holders.get(0), key.commit(),
                    (commit, soFar, total) -> outcomes.progress(transfer, soFar), transfer.cancel());
            outcomes.fetched(transfer, result);
        } catch (PeerFailure e) {
            if (e.kind() == PeerFailure.Kind.CANCELLED) {
                return;
            }
            // A holder that declines (busy, another bundle) is the upload limit working: the core asks another.
            if (e.declined() != null) {
                DECLINED.info("gossip peer {} declined {}: {}", key.from().shortForm(), CommitId.abbreviate(key.commit()),
                        e.getMessage());
            } else {
                FAILED.warn("gossip peer {} failed to deliver {}: {}", key.from().shortForm(),
                        CommitId.abbreviate(key.commit()), e.getMessage());
            }
            if (e.declined() == PeerFailure.Declined.BUSY) {
                outcomes.busy(transfer, e.retryAfterMs());
            } else {
                outcomes.failed(transfer, failure(e));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            unexpected(transfer, e, outcomes);
        }
    }

    /**
     * A throw from below (a library on a peer's bytes, or a defect here) proves nothing about the
     * peer, but the core must hear that the transfer ended: otherwise its slot waits for the stall
     * rule, which scores the holder a staller, and the worker thread dies with the transfer.
     */
    private void unexpected(Transfer transfer, RuntimeException e, Outcomes outcomes) {
        FAILED.warn("gossip fetch of {} from {} ended by an unexpected error: {}", CommitId.abbreviate(transfer.key().commit()),
                transfer.key().from().shortForm(), e.toString());
        log.debug("the unexpected error", e);
        outcomes.failed(transfer, FetchFailure.CONNECTION_LOST);
    }

    /**
     * Pieces from several holders. A fault proven against another holder is that holder's to pay at
     * once; one proven against the transfer's own peer is the transfer's outcome. When the transfer
     * fails with no fault of its peer (every holder busy, gone or declining), it is a loss, which
     * costs the peer nothing and lets the core ask again.
     */
    private void runRanged(Transfer transfer, List<PeerEndpoint> holders, Outcomes outcomes) {
        Key key = transfer.key();
        AtomicReference<FetchFailure> ownFault = new AtomicReference<>();
        try {
            FetchResult result = fetcher.fetchFromHolders(key.commit(), holders,
                    (commit, soFar, total) -> outcomes.progress(transfer, soFar), transfer.cancel(),
                    new HolderVerdicts() {
                        @Override
                        public void failed(PeerEndpoint holder, PeerFailure fault) {
                            FetchFailure failure = failure(fault);
                            if (holder.getNode().equals(key.from().toByteString())) {
                                ownFault.compareAndSet(null, failure);
                            } else if (holder.getNode().size() == PublicId.LENGTH) {
                                outcomes.holderFault(transfer, PublicId.of(holder.getNode()), failure, fault.silentForMs());
                            }
                        }

                        @Override
                        public void unreachable(PeerEndpoint holder) {
                            // Its own peer's too: the transfer may still end well from the others, and the
                            // address led nowhere all the same (it rests; the delivery is the server's).
                            if (holder.getNode().size() == PublicId.LENGTH) {
                                outcomes.holderFault(transfer, PublicId.of(holder.getNode()), FetchFailure.UNREACHABLE, 0);
                            }
                        }

                        @Override
                        public void busy(PeerEndpoint holder, long retryAfterMs) {
                            // Its own peer's too: the transfer may still end well, from the others, and
                            // the hint is about the holder, not the transfer.
                            if (holder.getNode().size() == PublicId.LENGTH) {
                                outcomes.holderBusy(transfer, PublicId.of(holder.getNode()), retryAfterMs);
                            }
                        }
                    });
            outcomes.fetched(transfer, result);
        } catch (FetchException e) {
            if (transfer.cancel().isCancelled()) {
                return;
            }
            HOLDERS_FAILED.warn("gossip fetch of {} from {} holders failed: {}", CommitId.abbreviate(key.commit()), holders.size(),
                    e.getMessage());
            FetchFailure own = ownFault.get();
            outcomes.failed(transfer, own != null ? own : FetchFailure.CONNECTION_LOST);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            unexpected(transfer, e, outcomes);
        }
    }

    /** The holders whose hosts resolve within their reach, each at the literal address checked. */
    private List<PeerEndpoint> resolved(Key key, List<PeerAddressing> addresses) {
        List<PeerEndpoint> endpoints = new ArrayList<>();
        for (PeerAddressing a : addresses) {
            try {
                InetSocketAddress at = resolver.resolve(a);
                endpoints.add(PeerEndpoint.newBuilder().setNode(a.info().getNode()).setHost(at.getAddress().getHostAddress())
                        .setPort(at.getPort()).build());
            } catch (UnknownHostException e) {
                FAILED.warn("gossip holder of {} not asked: {}", CommitId.abbreviate(key.commit()), LogSafe.of(e.getMessage()));
            }
        }
        return endpoints;
    }

    /** What {@code failure} tells the core: a stall on a live connection (bytes arrived, too few) is the holder's pace, {@link FetchFailure#SLOW}. */
    static FetchFailure failure(PeerFailure failure) {
        if (failure.declined() != null) {
            return switch (failure.declined()) {
                case ENDED_LATE -> FetchFailure.DECLINED_LATE;
                // Nothing proven at the address: the hint (or record) that named it rests at once (FetchFailure.UNREACHABLE).
                case UNREACHABLE, UNPROVEN -> FetchFailure.UNREACHABLE;
                case BUSY, OTHER_BUNDLE, UNABLE -> FetchFailure.DECLINED;
            };
        }
        return failure.kind() == PeerFailure.Kind.STALLED && failure.trickled() ? FetchFailure.SLOW : failure(failure.kind());
    }

    static FetchFailure failure(PeerFailure.Kind kind) {
        return switch (kind) {
            case NOT_FOUND -> FetchFailure.NOT_FOUND;
            case STALLED -> FetchFailure.STALLED;
            case OVERSIZED -> FetchFailure.OVERSIZED;
            case TOO_LARGE -> FetchFailure.TOO_LARGE;
            case BAD_BUNDLE -> FetchFailure.WRONG_BUNDLE;
            // Our own disk trouble is not the peer's fault: report it as a loss, which costs the peer nothing.
            case CONNECTION_LOST, LOCAL, CANCELLED -> FetchFailure.CONNECTION_LOST;
        };
    }

    @Override
    public void close() {
        running.values().forEach(Cancellation::cancel);
        pool.shutdownNow();
        // A worker importing a bundle writes into the node's repository, which its owner closes next
        // (a test's directory was found non-empty after close: JGit's pack files still being written).
        try {
            if (!pool.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("gossip fetch workers still running {} s after close", CLOSE_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
