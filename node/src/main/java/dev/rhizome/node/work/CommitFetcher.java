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
 * Gets a commit into the local repository from the peers that announced it. The unit names some
 * peers; when they all fail, the coordinator is asked again, since announcements race with claims.
 */
public final class CommitFetcher {
    private static final Logger log = LoggerFactory.getLogger(CommitFetcher.class);
    private static final int ROUNDS = 4;

    private final BundleFetcher fetcher;
    private final CoordinatorClient coordinator;

    public CommitFetcher(BundleFetcher fetcher, CoordinatorClient coordinator) {
        this.fetcher = fetcher;
        this.coordinator = coordinator;
    }

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
                // fetcher's refusal says that nobody announced it.
                FetchResult result = fetcher.fetch(commit, peers, progress());
                if (!result.alreadyHad()) {
                    log.info("fetched {} from {}:{} ({} bytes in {} ms)", CommitId.abbreviate(commit),
                            result.from().getHost(), result.from().getPort(), result.bytes(), result.millis());
                }
                return result;
            } catch (FetchException e) {
                last = e;
                log.warn("fetch of {} failed (round {}/{}): {}", CommitId.abbreviate(commit), round + 1, ROUNDS,
                        e.getMessage());
            }
            if (round + 1 < ROUNDS) {
                Thread.sleep(500L * (1L << round));
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
