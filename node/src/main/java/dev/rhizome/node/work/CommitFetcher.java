package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.gossip.core.PeerAddressing;
import dev.rhizome.node.gossip.net.PeerResolver;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.FetchResult;
import dev.rhizome.node.peer.TransferProgress;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.PeerAddress.Reach;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
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
    /** The peers named for a commit are what nodes announced: a rogue announcing addresses by the hundred gets a line each. */
    private static final WarnBudget NOT_ASKED = new WarnBudget(log);
    /** Every holder failing a work fetch is peers' doing: holders that decline, stall or lie wrote 4 lines a unit. */
    private static final WarnBudget ROUND_FAILED = new WarnBudget(log);

    /** Where bundles come from: a node's gossip layer, or (for a one-shot command) a direct fetcher. */
    @FunctionalInterface
    public interface Source {
        /**
         * Makes {@code commit} held here, from {@code hints} or any peer the source knows holds it.
         * The hints came from a source of reach {@code learntOver} (the coordinator's): a hint's
         * name is dialled only where it resolves no narrower, looked up at the dial.
         */
        FetchResult fetch(String commit, List<PeerEndpoint> hints, Reach learntOver) throws FetchException, InterruptedException;
    }

    private final Source source;
    private final CoordinatorClient coordinator;
    /** How far the coordinator reaches ({@link CoordinatorClient#reach}): the peers it names may reach no narrower. */
    private final Supplier<Reach> coordinatorReach;
    private final long retryBaseMs;

    /** Fetches straight from the named peers, one after another: for commands that run without a gossip layer. */
    public CommitFetcher(BundleFetcher fetcher, CoordinatorClient coordinator) {
        this(direct(fetcher, PeerResolver.SYSTEM), coordinator);
    }

    public CommitFetcher(Source source, CoordinatorClient coordinator) {
        this(source, coordinator, 500);
    }

    CommitFetcher(Source source, CoordinatorClient coordinator, long retryBaseMs) {
        this(source, coordinator, coordinator::reach, retryBaseMs);
    }

    CommitFetcher(Source source, CoordinatorClient coordinator, Supplier<Reach> coordinatorReach, long retryBaseMs) {
        this.source = source;
        this.coordinator = coordinator;
        this.coordinatorReach = coordinatorReach;
        this.retryBaseMs = retryBaseMs;
    }

    /** Fetches straight from the hints, each dialled at the literal address its host resolves to within reach. */
    static Source direct(BundleFetcher fetcher, PeerResolver resolver) {
        return (commit, hints, reach) -> fetcher.fetch(commit, resolved(commit, hints, reach, resolver), progress());
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
            // The unit's peers and the coordinator's list alike are the coordinator's word.
            Reach reach = coordinatorReach.get();
            try {
                // Called even with no peers: a commit already held needs none, and otherwise the
                // source's refusal says that nobody announced it. The transfer itself is logged once, by the fetcher.
                return source.fetch(commit, withinReach(commit, peers, reach), reach);
            } catch (FetchException e) {
                last = e;
                ROUND_FAILED.warn("fetch of {} failed (round {}/{}): {}", CommitId.abbreviate(commit), round + 1, ROUNDS,
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

    /**
     * The peers whose addresses this node may dial, named by a source of reach {@code reach}: a host
     * and port one can connect to, no narrower than the source. A coordinator on the internet (or
     * whoever answers at its address) naming 127.0.0.1, a LAN address or 169.254.169.254 as a
     * commit's holder had the node connect there, on each claim and evaluation.
     */
    static List<PeerEndpoint> withinReach(String commit, List<PeerEndpoint> peers, Reach reach) {
        List<PeerEndpoint> out = new ArrayList<>();
        for (PeerEndpoint p : peers) {
            String host = p.getHost();
            if (!PeerAddress.isHost(host) || !PeerAddress.isPort(Integer.toUnsignedLong(p.getPort()))) {
                NOT_ASKED.warn("peer {}:{} named for {} is no address a node can be dialled at: not asked", LogSafe.of(host),
                        Integer.toUnsignedString(p.getPort()), CommitId.abbreviate(commit));
            } else if (!PeerAddress.reach(host).learnableOver(reach)) {
                NOT_ASKED.warn("peer {}:{} named for {} is a {} address, narrower than the coordinator's ({}): not asked",
                        LogSafe.of(host), p.getPort(), CommitId.abbreviate(commit), PeerAddress.reach(host), reach);
            } else {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * The peers at the literal addresses their hosts resolve to now, within {@code reach}
     * ({@link PeerResolver}): what a direct fetch dials, so a name that resolves narrower (or
     * differently a moment later: DNS rebinding) is never connected to.
     */
    static List<PeerEndpoint> resolved(String commit, List<PeerEndpoint> peers, Reach reach, PeerResolver resolver) {
        List<PeerEndpoint> out = new ArrayList<>();
        for (PeerEndpoint p : peers) {
            NodeInfo info = NodeInfo.newBuilder().setNode(p.getNode()).setHost(p.getHost()).setPort(p.getPort()).build();
            try {
                InetSocketAddress at = resolver.resolve(new PeerAddressing(info, reach));
                out.add(p.toBuilder().setHost(at.getAddress().getHostAddress()).build());
            } catch (UnknownHostException e) {
                NOT_ASKED.warn("peer named for {} not asked: {}", CommitId.abbreviate(commit), LogSafe.of(e.getMessage()));
            }
        }
        return out;
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
