package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.FetchResult;
import dev.rhizome.node.peer.TransferProgress;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.CommitId;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets a commit into the local repository from the peers that announced it: gossip neighbours that
 * said they hold it first (they are linked already), then the peers the unit names. When they all
 * fail, the coordinator is asked again, since announcements race with claims.
 */
public final class CommitFetcher {
    private static final Logger log = LoggerFactory.getLogger(CommitFetcher.class);
    private static final int ROUNDS = 4;

    /** The gossip layer as this fetcher sees it. */
    public interface Neighbours {
        Neighbours NONE = new Neighbours() {
            @Override
            public List<PeerEndpoint> holders(String commit) {
                return List.of();
            }

            @Override
            public void nowHeld(String commit) {
            }
        };

        /** Bundle servers of neighbours that said they hold {@code commit}. */
        List<PeerEndpoint> holders(String commit);

        /** The commit was just fetched here, so neighbours can fetch it from us. */
        void nowHeld(String commit);
    }

    private final BundleFetcher fetcher;
    private final CoordinatorClient coordinator;
    private final Neighbours neighbours;

    public CommitFetcher(BundleFetcher fetcher, CoordinatorClient coordinator) {
        this(fetcher, coordinator, Neighbours.NONE);
    }

    public CommitFetcher(BundleFetcher fetcher, CoordinatorClient coordinator, Neighbours neighbours) {
        this.fetcher = fetcher;
        this.coordinator = coordinator;
        this.neighbours = neighbours;
    }

    public FetchResult fetch(String commit, List<PeerEndpoint> suggested)
            throws FetchException, InterruptedException {
        List<PeerEndpoint> peers = withoutSelf(suggested);
        FetchException last = null;
        for (int round = 0; round < ROUNDS; round++) {
            if (round > 0 || peers.isEmpty()) {
                peers = askCoordinator(commit, peers);
            }
            peers = neighboursFirst(commit, peers);
            try {
                // Called even with no peers: a commit already held needs none, and otherwise the
                // fetcher's refusal says that nobody announced it.
                FetchResult result = fetcher.fetch(commit, peers, progress());
                if (!result.alreadyHad()) {
                    neighbours.nowHeld(commit);
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

    private List<PeerEndpoint> neighboursFirst(String commit, List<PeerEndpoint> peers) {
        Map<ByteString, PeerEndpoint> byNode = new LinkedHashMap<>();
        for (PeerEndpoint p : neighbours.holders(commit)) {
            byNode.put(p.getNode(), p);
        }
        for (PeerEndpoint p : peers) {
            byNode.putIfAbsent(p.getNode(), p);
        }
        return withoutSelf(List.copyOf(byNode.values()));
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
