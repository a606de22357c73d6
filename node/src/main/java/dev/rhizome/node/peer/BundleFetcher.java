package dev.rhizome.node.peer;

import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.WarnBudget;
import com.google.protobuf.ByteString;
import dev.rhizome.node.git.BundleException;
import dev.rhizome.node.git.BundleFile;
import dev.rhizome.node.git.BundleTooLargeException;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.PackLimits;
import dev.rhizome.node.git.PieceDigests;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.StallFloor;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.frame.FrameCodec;
import dev.rhizome.protocol.identity.Identity;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.traffic.GlobalTrafficShapingHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches a commit's bundle from the peers said to hold it, one after another until one delivers a
 * bundle that passes every check and imports. A peer that fails is logged and skipped; the caller
 * hears only when all have failed. A transfer that breaks off midway is resumed from the same peer
 * at the byte it reached; the bytes are held in memory up to 1 MiB and stream to a temporary file
 * beyond ({@link ReceivedBytes}), so memory stays bounded whatever the bundle's size.
 */
public final class BundleFetcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BundleFetcher.class);
    /** A peer that claims commits and fails to serve them would otherwise write a line per claim. */
    private static final WarnBudget FAILED = new WarnBudget(log);
    /** Commits we list as held, so the peer can send a thin bundle; the frame limit caps it anyway. */
    static final int MAX_HAVE = 1000;
    /** Resumes of one transfer, each after a connection that made progress; a peer stuck at one byte stops it. */
    static final int MAX_RESUMES = 3;

    private final NodeRepository repo;
    private final Identity identity;
    private final PeerConfig config;
    private final TransferLog transferLog;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final AtomicLong bytesReceived = new AtomicLong();
    /** Prefixes of whole transfers that ended early, resumed from by the next ask of the commit. */
    private final PartialBundles partials = new PartialBundles();
    /** One dial in flight an address: a silent one a hint named is dialled once, not once per slot and range. */
    private final DialsInFlight dials = new DialsInFlight();
    private volatile GlobalTrafficShapingHandler downloadCap;
    /** What a transfer must advance per idle period: less under this node's own download cap. */
    private volatile long minProgressBytes = StallFloor.MIN_PROGRESS_BYTES;
    /** The import's object bound, also judged on a pack's header as it arrives ({@link BundleSink}). */
    private volatile long maxObjects = PackLimits.PEERS.maxObjects();

    public BundleFetcher(NodeRepository repo, Identity identity, PeerConfig config, TransferLog log) {
        this(repo, identity, config, log, new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()), true);
    }

    /** A fetcher on an event loop group it shares with others and does not shut down. */
    public BundleFetcher(NodeRepository repo, Identity identity, PeerConfig config, TransferLog log, EventLoopGroup shared) {
        this(repo, identity, config, log, shared, false);
    }

    private BundleFetcher(NodeRepository repo, Identity identity, PeerConfig config, TransferLog log, EventLoopGroup group,
                          boolean ownsGroup) {
        this.repo = repo;
        this.identity = identity;
        this.config = config;
        this.transferLog = log;
        this.group = group;
        this.ownsGroup = ownsGroup;
    }

    /**
     * Caps what all of this fetcher's downloads together receive, in bytes per second (the
     * volunteer's bandwidth preference); applies to transfers started afterwards. 0 lifts it.
     */
    public void capDownloads(long bytesPerSecond) {
        // Up to the gossip core's fetch slots, each ranged over rangeHolders, share the cap at once.
        minProgressBytes = StallFloor.minProgressBytes(bytesPerSecond, config.idleTimeout().toMillis(),
                GossipCore.MAX_CONCURRENT_FETCHES * Math.max(1, config.rangeHolders()));
        GlobalTrafficShapingHandler old = downloadCap;
        downloadCap = bytesPerSecond > 0 ? new GlobalTrafficShapingHandler(group.next(), 0, bytesPerSecond, 250) : null;
        if (old != null) {
            old.release();
        }
    }

    /** Stops transfers whose pack declares more than {@code objects} objects at its header (tests: the heap's bound is large). */
    void limitObjects(long objects) {
        maxObjects = objects;
    }

    /**
     * Makes {@code commit} held here, asking {@code peers} in order (in pieces from several at once
     * when there are several). Blocks until done; progress is reported from a network thread.
     */
    public FetchResult fetch(String commit, List<PeerEndpoint> peers, TransferProgress progress)
            throws FetchException, InterruptedException {
        CommitId.require(commit, "commit");
        if (repo.has(commit)) {
            return FetchResult.alreadyHeld(commit);
        }
        if (peers.size() > 1) {
            return fetchFromHolders(commit, peers, progress, new Cancellation(), HolderVerdicts.NONE);
        }
        List<String> failures = new ArrayList<>();
        for (PeerEndpoint peer : peers) {
            try {
                return fetchFrom(peer, commit, progress, new Cancellation());
            } catch (PeerFailure e) {
                FAILED.warn("peer {} failed to deliver {}: {}", label(peer), CommitId.abbreviate(commit), e.getMessage());
                failures.add(label(peer) + ": " + e.getMessage());
            }
        }
        throw new FetchException(commit, failures);
    }

    /**
     * Transfers {@code commit}'s bundle from one peer, verifies it and imports it, whether or not it
     * is held already. Blocks until done or cancelled. A prefix kept from an earlier transfer of
     * the same commit that ended early (from this peer or another) is resumed from, if this peer
     * has the same bundle; one that ends early here leaves its verified pieces kept for the next
     * ask ({@link PartialBundles}).
     *
     * @throws PeerFailure saying what went wrong, and of what {@link PeerFailure.Kind kind}
     */
    public FetchResult fetchFrom(PeerEndpoint peer, String commit, TransferProgress progress, Cancellation cancel)
            throws PeerFailure, InterruptedException {
        CommitId.require(commit, "commit");
        PartialBundles.Partial partial = partials.take(commit);
        if (partial != null) {
            try {
                return fetchFrom(peer, commit, progress, cancel, partial);
            } catch (PeerFailure e) {
                if (e.declined() != PeerFailure.Declined.OTHER_BUNDLE || cancel.isCancelled()) {
                    throw e;
                }
                // It has another bundle of the commit (or names other pieces for the kept ones): no
                // fault, and no decline either: it is asked for its own bundle from the start.
                log.info("{} has another bundle of {} than the {} bytes kept ({}); fetching its own", label(peer),
                        CommitId.abbreviate(commit), partial.prefix().length(), e.getMessage());
            }
        }
        return fetchFrom(peer, commit, progress, cancel, null);
    }

    private FetchResult fetchFrom(PeerEndpoint peer, String commit, TransferProgress progress, Cancellation cancel,
                                  PartialBundles.Partial from) throws PeerFailure, InterruptedException {
        long started = System.nanoTime();
        ReceivedBytes received = from == null ? new ReceivedBytes() : from.bytes();
        boolean keptOn = false;
        try {
            FetchSession session = from == null ? new FetchSession(commit, config.maxBundleBytes(), peer.getNode())
                    : FetchSession.resuming(commit, config.maxBundleBytes(), peer.getNode(), from.prefix());
            BundleSink sink = from == null ? new BundleSink(received, maxObjects) : BundleSink.after(received, maxObjects);
            // Listed once: every request of this bundle, resumed or not, must name the same (thin) bundle.
            List<String> have = from == null ? repo.recentCommits(MAX_HAVE) : from.prefix().have();
            if (from != null) {
                log.info("resuming {} from {} at byte {} of {}, kept from an earlier transfer", CommitId.abbreviate(commit),
                        label(peer), from.prefix().length(), from.prefix().size());
            }
            try {
                downloadResuming(peer, commit, session, sink, have, progress, cancel);
            } catch (PeerFailure e) {
                keptOn = keepPrefix(commit, session, sink, received, have, from, e);
                throw e;
            }
            if (cancel.isCancelled()) {
                throw new PeerFailure(PeerFailure.Kind.CANCELLED, "cancelled");
            }
            received.importInto(repo, commit, config.maxBundleBytes());
            keep(received, commit, sink.digests());
            FetchResult result = new FetchResult(commit, peer.toBuilder().setNode(session.peerNode()).build(),
                    session.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), false);
            log.info("fetched {} ({} bytes) from {} in {} ms", CommitId.abbreviate(commit), result.bytes(),
                    label(peer), result.millis());
            record(result);
            return result;
        } catch (BundleTooLargeException e) {
            throw new PeerFailure(PeerFailure.Kind.TOO_LARGE, "sent a bundle over this node's limits: " + e.getMessage());
        } catch (BundleException e) {
            throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "sent a bundle we refused: " + e.getMessage());
        } catch (IOException e) {
            throw new PeerFailure(PeerFailure.Kind.LOCAL, "could not store its bundle here: " + e.getMessage());
        } finally {
            if (!keptOn) {
                received.close();
            }
        }
    }

    /**
     * Keeps what a whole transfer that ended with {@code failure} received, cut to its verified
     * pieces, for the next ask of any holder; returns whether the bytes were kept (else the caller
     * deletes them). Nothing is kept after a proven fault of the holder (its bytes are suspect) or
     * our own trouble; a resume that found another bundle leaves the prefix it started from as it was.
     */
    private boolean keepPrefix(String commit, FetchSession session, BundleSink sink, ReceivedBytes received,
                               List<String> have, PartialBundles.Partial from, PeerFailure failure) {
        if (from != null && failure.declined() == PeerFailure.Declined.OTHER_BUNDLE && received.size() == from.prefix().length()) {
            partials.put(commit, from);
            return true;
        }
        boolean keepable = (failure.blameless() || failure.kind() == PeerFailure.Kind.STALLED)
                && failure.kind() != PeerFailure.Kind.LOCAL;
        // Our sink digests pieces of the cache's size; a header with others leaves nothing to check against.
        KeptPrefix prefix = keepable && session.pieceBytes() == BundleFile.PIECE_BYTES
                ? session.keep(sink.wholePieces(), have) : null;
        return keep(commit, prefix, received);
    }

    /**
     * Makes {@code commit} held here, taking its bundle in pieces from up to
     * {@link PeerConfig#rangeHolders()} of {@code holders} at once, in the order given (the first
     * usable one's header names the bundle); a holder that declines (busy), fails or stalls is
     * replaced by the next, and its piece asked of another. The bundle is assembled, checked
     * against the whole digest and imported as from one holder; nothing unverified is imported.
     * {@code verdicts} hears of each holder's fault as it is proven. One holder: a whole transfer,
     * resumed after a drop, as {@link #fetchFrom}. A prefix kept from an earlier transfer of the
     * commit, whole or in pieces, is resumed from (its pieces are not asked again), and a fetch that
     * ends early keeps its leading verified pieces for the next ask, whichever way that fetches.
     */
    public FetchResult fetchFromHolders(String commit, List<PeerEndpoint> holders, TransferProgress progress,
                                        Cancellation cancel, HolderVerdicts verdicts) throws FetchException, InterruptedException {
        CommitId.require(commit, "commit");
        if (repo.has(commit)) {
            return FetchResult.alreadyHeld(commit);
        }
        if (holders.isEmpty()) {
            throw new FetchException(commit, List.of());
        }
        if (holders.size() == 1) {
            try {
                return fetchFrom(holders.get(0), commit, progress, cancel);
            } catch (PeerFailure e) {
                if (!e.blameless()) {
                    verdicts.failed(holders.get(0), e);
                }
                throw new FetchException(commit, List.of(label(holders.get(0)) + ": " + e.getMessage()));
            }
        }
        PartialBundles.Partial from = partials.take(commit);
        if (from != null) {
            try {
                return fetchInPieces(commit, holders, progress, cancel, verdicts, from);
            } catch (OtherBundle e) {
                // No holder asked has the kept prefix's bundle, and one has another: no fault of
                // anyone's (one of the two holders lied, or two honest ones made different bundles).
                log.info("no holder of {} asked has the bundle of the {} bytes kept; fetching afresh", CommitId.abbreviate(commit),
                        from.prefix().length());
            }
        }
        try {
            return fetchInPieces(commit, holders, progress, cancel, verdicts, null);
        } catch (OtherBundle e) {
            throw new IllegalStateException("a fetch with no kept prefix cannot find another bundle than the kept one", e);
        }
    }

    /** Thrown by {@link #fetchInPieces} when holders have another bundle than the kept prefix's (which it dropped). */
    private static final class OtherBundle extends Exception {
        OtherBundle() {
            super(null, null, false, false);
        }
    }

    /**
     * One fetch in pieces, resuming {@code from} (null: none); on an early end its verified leading
     * pieces are kept for the next ask, whole or in pieces ({@link RangeFetch#keep()}).
     */
    private FetchResult fetchInPieces(String commit, List<PeerEndpoint> holders, TransferProgress progress, Cancellation cancel,
                                      HolderVerdicts verdicts, PartialBundles.Partial from)
            throws FetchException, InterruptedException, OtherBundle {
        long started = System.nanoTime();
        // Listed once: a kept prefix's pieces belong to the (thin) bundle its own list made.
        List<String> have = from == null ? repo.recentCommits(MAX_HAVE) : from.prefix().have();
        ReceivedBytes received = from == null ? new ReceivedBytes() : from.bytes();
        boolean keptOn = false;
        try {
            RangeFetch.Outcome got;
            RangeFetch fetch = new RangeFetch(commit, holders, config, have, received, this::startDownload, progress, cancel,
                    verdicts, from == null ? null : from.prefix(), maxObjects);
            try {
                got = fetch.run();
            } catch (PeerFailure | FetchException e) {
                bytesReceived.addAndGet(fetch.bytesReceived());
                if (fetch.keptRefused()) {
                    throw new OtherBundle();
                }
                keptOn = keep(commit, fetch.keep(), received);
                if (e instanceof PeerFailure failure) {
                    throw new FetchException(commit, List.of(failure.getMessage()));
                }
                throw (FetchException) e;
            }
            bytesReceived.addAndGet(got.bytesReceived());
            PeerEndpoint primary = holders.get(got.primary());
            byte[] whole = received.sha256();
            try {
                if (!MessageDigest.isEqual(whole, got.sha256())) {
                    // Every piece matched the primary's digests, so the digests themselves were false.
                    throw new BundleException("pieces matching its piece digests do not make the bundle of its sha256");
                }
                received.importInto(repo, commit, config.maxBundleBytes());
            } catch (BundleException e) {
                PeerFailure lie = e instanceof BundleTooLargeException
                        ? new PeerFailure(PeerFailure.Kind.TOO_LARGE, "named a bundle over this node's limits: " + e.getMessage())
                        : new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "named a bundle we refused: " + e.getMessage());
                verdicts.failed(primary, lie);
                throw new FetchException(commit, List.of(label(primary) + ": " + lie.getMessage()));
            }
            // The bundle is good, so a piece that did not match its digest was that holder's fault.
            got.badPieces().forEach((holder, why) -> verdicts.failed(holders.get(holder),
                    new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, why)));
            // Every piece matched the primary's digest and the whole its SHA-256: those are this bundle's digests.
            keep(received, commit, new PieceDigests.Result(whole, got.pieceBytes(),
                    got.pieceSha256().stream().map(ByteString::toByteArray).toList()));
            FetchResult result = new FetchResult(commit, primary.toBuilder().setNode(got.primaryNode()).build(), got.size(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), false);
            log.info("fetched {} ({} bytes) in pieces from {} holders (first {}) in {} ms{}", CommitId.abbreviate(commit),
                    result.bytes(), Math.min(holders.size(), config.rangeHolders()), label(primary), result.millis(),
                    from == null ? "" : ", resuming " + from.prefix().length() + " bytes kept");
            record(result);
            PartialBundles.Partial stale = partials.take(commit);
            if (stale != null) {
                stale.close();
            }
            return result;
        } catch (IOException e) {
            throw new FetchException(commit, List.of("could not store the bundle here: " + e.getMessage()));
        } finally {
            if (!keptOn) {
                received.close();
            }
        }
    }

    /** Keeps {@code prefix} of the bytes a fetch (whole or in pieces) received, for the next ask; returns whether it did. */
    private boolean keep(String commit, KeptPrefix prefix, ReceivedBytes received) {
        if (prefix == null) {
            return false;
        }
        try {
            received.truncate(prefix.length());
        } catch (IOException e) {
            log.debug("cannot cut the bytes kept of {}: {}", CommitId.abbreviate(commit), e.getMessage());
            return false;
        }
        partials.put(commit, new PartialBundles.Partial(prefix, received));
        log.debug("kept {} of {} bytes of {} to resume from", prefix.length(), prefix.size(), CommitId.abbreviate(commit));
        return true;
    }

    /** Bundle bytes received from peers since start, counting transfers that failed or were resumed. */
    public long bytesReceived() {
        return bytesReceived.get();
    }

    private void downloadResuming(PeerEndpoint peer, String commit, FetchSession session, TransferSink sink, List<String> have,
                                  TransferProgress progress, Cancellation cancel) throws PeerFailure, InterruptedException {
        for (int resumes = 0; ; resumes++) {
            long before = session.received();
            BundleRequest.Builder ask = BundleRequest.newBuilder().setCommit(commit).addAllHave(have).setOffset(before);
            byte[] known = session.sha256();
            if (known != null) {
                // A holder without that very bundle answers CONFLICT (a decline), not another bundle (a fault).
                ask.setBundleSha256(ByteString.copyFrom(known));
            }
            PeerMessage request = PeerMessage.newBuilder().setBundleRequest(ask).build();
            try {
                download(peer, commit, session, sink, request, progress, cancel);
                return;
            } catch (PeerFailure e) {
                if (!e.resumable() || session.received() == before || resumes == MAX_RESUMES) {
                    throw e;
                }
                log.info("transfer of {} from {} broke off at byte {} of {} ({}); resuming", CommitId.abbreviate(commit),
                        label(peer), session.received(), session.size(), e.getMessage());
                session.resume();
            } finally {
                bytesReceived.addAndGet(session.received() - before);
            }
        }
    }

    private void download(PeerEndpoint peer, String commit, FetchSession session, TransferSink sink, PeerMessage request,
                          TransferProgress progress, Cancellation cancel) throws PeerFailure, InterruptedException {
        CompletableFuture<Void> outcome = new CompletableFuture<>();
        cancel.watch(outcome);
        Download download = startDownload(peer, commit, session, sink, request, progress, outcome);
        try {
            outcome.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof PeerFailure failure ? failure
                    : new PeerFailure(PeerFailure.Kind.CONNECTION_LOST, PeerMessages.describe(e.getCause()));
        } finally {
            download.close();
        }
    }

    /**
     * One request: its connection, or its wait for its address's dial in flight ({@link DialsInFlight});
     * closing it ends either. Its outcome settles as the connection's does, or undialled when the
     * dial ahead of it proved nothing at the address.
     */
    static final class Download {
        private DialsInFlight.Ticket ticket;
        private Channel channel;
        private boolean closed;

        /** The dial's connection; false when the download was closed before it came (the caller closes it). */
        private synchronized boolean connected(Channel ch) {
            if (!closed) {
                channel = ch;
                return true;
            }
            return false;
        }

        private synchronized boolean isClosed() {
            return closed;
        }

        void close() {
            Channel ch;
            synchronized (this) {
                closed = true;
                ch = channel;
            }
            // Given up first: our own close of a connection before its hello is not the address's silence.
            ticket.withdraw();
            if (ch != null) {
                ch.close();
            }
        }
    }

    /**
     * Connects and runs one request once its address has no other dial in flight (or at once);
     * {@code outcome} settles when it is done. The caller closes the download.
     */
    private Download startDownload(PeerEndpoint peer, String commit, FetchSession session, TransferSink sink,
                                   PeerMessage request, TransferProgress progress, CompletableFuture<Void> outcome) {
        Download download = new Download();
        download.ticket = dials.ticket(peer.getHost() + ":" + peer.getPort(), new DialsInFlight.Dial() {
            @Override
            public void go() {
                if (outcome.isDone() || download.isClosed()) {
                    download.ticket.withdraw();
                    return;
                }
                Channel ch = connect(peer, commit, session, sink, request, progress, outcome, download.ticket);
                if (!download.connected(ch)) {
                    download.ticket.withdraw();  // before the close, whose failed connect is our doing, not the address's
                    ch.close();
                }
            }

            @Override
            public void skip(String why) {
                outcome.completeExceptionally(PeerFailure.declined(PeerFailure.Declined.UNREACHABLE, why));
            }
        });
        // Its handshake's end, if the key proof did not come first: an address that proved nothing fails the waiters too.
        outcome.whenComplete((ok, failure) -> download.ticket.ended(failure instanceof PeerFailure f
                && f.declined() == PeerFailure.Declined.UNREACHABLE, failure == null ? "" : failure.getMessage()));
        download.ticket.join();
        return download;
    }

    private Channel connect(PeerEndpoint peer, String commit, FetchSession session, TransferSink sink,
                            PeerMessage request, TransferProgress progress, CompletableFuture<Void> outcome,
                            DialsInFlight.Ticket ticket) {
        long idleMillis = config.idleTimeout().toMillis();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        GlobalTrafficShapingHandler cap = downloadCap;
                        if (cap != null) {
                            ch.pipeline().addLast("cap", cap);
                        }
                        ch.pipeline().addLast("idle", new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
                        FrameCodec.install(ch.pipeline(), PeerMessage.getDefaultInstance(), config.maxFrameBytes());
                        // The holder's hello and proof each within a turn (HandshakeClock), not the idle timeout:
                        // an address that takes the connection and says nothing costs a turn, not 30 s.
                        ch.pipeline().addLast(HandshakeDeadline.NAME, new HandshakeDeadline(config.connectTimeout()));
                        ch.pipeline().addLast("fetch", new FetchHandler(identity, commit, session, sink, request, progress, outcome,
                                idleMillis, minProgressBytes, () -> ticket.ended(false, "proved its key")));
                    }
                });
        return bootstrap.connect(peer.getHost(), peer.getPort())
                .addListener(connected -> {
                    if (!connected.isSuccess()) {
                        outcome.completeExceptionally(PeerFailure.declined(PeerFailure.Declined.UNREACHABLE,
                                "cannot connect: " + PeerMessages.describe(connected.cause())));
                    }
                })
                .channel();
    }

    /** Serves the very bytes received from now on, so holders downstream all offer one bundle. */
    private void keep(ReceivedBytes bundle, String commit, PieceDigests.Result digests) {
        try {
            bundle.keepIn(repo, commit, digests);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot keep the bundle of {} to serve it: {}", CommitId.abbreviate(commit), e.getMessage());
        }
    }

    private void record(FetchResult result) {
        try {
            transferLog.record(result);
        } catch (UncheckedIOException e) {
            log.warn("cannot append to the transfer log: {}", e.getMessage());
        }
    }

    /** A holder's address as a log line or failure may show it: its host is a peer's or the coordinator's text. */
    static String label(PeerEndpoint peer) {
        return LogSafe.of(peer.getHost()) + ":" + peer.getPort();
    }

    @Override
    public void close() {
        partials.close();
        if (ownsGroup) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
