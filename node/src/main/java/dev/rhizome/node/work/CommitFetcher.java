package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.FetchResult;
import dev.rhizome.node.peer.TransferProgress;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.CommitId;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets a commit into the local repository for the node's work. A node asks its gossip layer
 * ({@link Source}), so the work loop's fetches go through the same planner as gossip's: one transfer
 * per commit, banned peers never asked, the stall rule on every transfer. The peers the unit names
 * are hints; when nobody can serve the commit, the coordinator is asked again for who announced it,
 * since announcements race with claims. Safe to call from several threads at once.
 */
public final class CommitFetcher {
    private static final Logger log = LoggerFactory.getLogger(CommitFetcher.class);
    static final int ROUNDS = 4;

    /** Where bundles come from: a node's gossip layer, or (for a one-shot command) a direct fetcher. */
    @FunctionalInterface
    public interface Source {
        /** Makes {@code commit} held here, from {@code hints} or any peer the source knows holds it. */
        FetchResult fetch(String commit, List<PeerEndpoint> hints) throws FetchException, InterruptedException;
    }

    private final Source source;
    private final CoordinatorClient coordinator;
    private final long retryBaseMs;

    /** Fetches straight from the named peers, one after another: for commands that run without a gossip layer. */
    public CommitFetcher(BundleFetcher fetcher, CoordinatorClient coordinator) {
        this((commit, hints) -> fetcher.fetch(commit, hints, progress()), coordinator);
    }

    public CommitFetcher(Source source, CoordinatorClient coordinator) {
        this(source, coordinator, 500);
    }

    CommitFetcher(Source source, CoordinatorClient coordinator, long retryBaseMs) {
        this.source = source;
        this.coordinator = coordinator;
        this.retryBaseMs = retryBaseMs;
    }

    /**
     * Blocks until {@code commit} is held; throws {@link FetchException} when no peer served it
     * after {@link #ROUNDS} rounds, each asking the coordinator afresh (the caller can then report
     * the commit unfetchable).
     */
    public FetchResult fetch(String commit, List<PeerEndpoint> suggested)
            throws FetchException, InterruptedException {
        List<PeerEndpoint> peers = withoutSelf(suggested);
        FetchException last = null;
        for (int round = 0; round < ROUNDS; round++) {
            if (round > 0 || peers.isEmpty()) {
                peers = askCoordinator(commit, peers);
            }
            try {
                // Called even with no peers: a commit already held needs none, and otherwise the
                // source's refusal says that nobody announced it. The transfer itself is logged once, by the fetcher.
                return source.fetch(commit, peers);
            } catch (FetchException e) {
                last = e;
                log.warn("fetch of {} failed (round {}/{}): {}", CommitId.abbreviate(commit), round + 1, ROUNDS,
                        e.getMessage());
            }
            if (round + 1 < ROUNDS) {
                Thread.sleep(retryBaseMs * (1L << round));
            }
        }
        throw last;
    }

    private List<PeerEndpoint> askCoordinator(String commit, List<PeerEndpoint> fallback) {
        try {
            return withoutSelf(coordinator.peers(commit).getPeersList());
        } catch (CoordinatorException e) {
            log.warn("cannot ask the coordinator for peers of {}: {}", CommitId.abbreviate(commit), e.getMessage());
            return fallback;
        }
    }

    private List<PeerEndpoint> withoutSelf(List<PeerEndpoint> peers) {
        List<PeerEndpoint> out = new ArrayList<>();
        for (PeerEndpoint p : peers) {
            if (!p.getNode().equals(coordinator.identity().publicId().toByteString())) {
                out.add(p);
            }
        }
        return out;
    }

    private static TransferProgress progress() {
        return new TransferProgress() {
            private long lastLogged;

            @Override
            public void update(String commit, long bytesSoFar, long totalBytes) {
                // Small bundles arrive in one go; only large ones earn progress lines.
                if (totalBytes > (4 << 20) && bytesSoFar - lastLogged >= totalBytes / 10) {
                    lastLogged = bytesSoFar;
                    log.info("bundle {}: {} / {} bytes", CommitId.abbreviate(commit), bytesSoFar, totalBytes);
                }
            }
        };
    }
}
