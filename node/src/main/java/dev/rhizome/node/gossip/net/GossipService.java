package dev.rhizome.node.gossip.net;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.FetchFailure;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.node.gossip.core.Violation;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.Cancellation;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.FetchResult;
import dev.rhizome.node.peer.PeerFailure;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.node.peer.PeerServer;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.frame.FrameCodec;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gossip protocol on real sockets. One persistent link per neighbour carries gossip frames;
 * bundles move over separate short connections to the neighbour's bundle server, which listens on
 * the same port as the links. Every call into the protocol runs on one thread, in order; the
 * effects it returns are carried out here: sends, dials, disconnects, and fetches on worker threads.
 */
public final class GossipService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GossipService.class);
    /** The core hands out at most this many fetches at once, so each starts on a free worker and its stall clock is fair. */
    private static final int FETCH_WORKERS = GossipCore.MAX_CONCURRENT_FETCHES;
    /** Our NodeInfo in hellos is re-signed this often, well inside {@link Handshake#MAX_AGE_MS}. */
    private static final long RESIGN_MS = 60_000;
    /** With fewer links than this the coordinator is asked again for nodes, this often. */
    private static final int FEW_LINKS = 2;
    private static final long REBOOTSTRAP_MS = 10_000;
    private static final long SAVE_PEERS_MS = 30_000;
    /** Gossip messages are small: a link with this much unsent has a peer that stopped reading, and sends to it are dropped. */
    private static final WriteBufferWaterMark LINK_WATER_MARK = new WriteBufferWaterMark(256 << 10, 1 << 20);

    /** Told, on the protocol thread, whenever a bundle arrived through gossip. */
    @FunctionalInterface
    public interface Listener {
        void fetched(String commit, PublicId from, long bytes);
    }

    /** Control traffic and losses, for benchmarks and logs. */
    public record Counters(long gossipSent, long gossipDropped, long gossipReceived, long fetchesStarted,
                           long bundleBytesReceived, long violations) {
    }

    private final NodeRepository repo;
    private final Identity identity;
    private final java.util.concurrent.atomic.AtomicLong resultsHeard = new java.util.concurrent.atomic.AtomicLong();
    private final GossipSettings settings;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final ScheduledExecutorService protocolThread;
    private final ExecutorService workers;
    private final BundleFetcher fetcher;
    private final Supplier<List<NodeInfo>> bootstrap;
    private final KnownPeers knownPeers;
    /** Work-loop callers waiting for a commit, completed when it is imported or the core says nobody can serve it. */
    private final Map<String, List<CompletableFuture<FetchResult>>> waiting = new ConcurrentHashMap<>();
    /** Where to reach a work-loop hint that is not a neighbour (the unit's peers, the coordinator's list). */
    private final Map<PublicId, NodeInfo> hinted = new ConcurrentHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Map<PublicId, GossipLink> links = new HashMap<>();        // protocol thread only
    private final Set<PublicId> dialling = new HashSet<>();                 // protocol thread only
    private final Map<FetchKey, Cancellation> fetches = new ConcurrentHashMap<>();
    private final Map<PublicId, NodeInfo> endpoints = new ConcurrentHashMap<>();
    private final AtomicLong gossipSent = new AtomicLong();
    private final AtomicLong gossipDropped = new AtomicLong();
    private final AtomicLong gossipReceived = new AtomicLong();
    private final AtomicLong fetchesStarted = new AtomicLong();
    private final AtomicLong violations = new AtomicLong();
    private volatile PeerMessage hello;
    private PeerServer server;
    private PeerProtocol protocol;
    private long signedAtMs;
    private java.util.concurrent.ScheduledFuture<?> wakeup;   // protocol thread only
    private long wakeupAtMs = Long.MAX_VALUE;
    private long bootstrappedAtMs;
    private long savedAtMs;

    private record FetchKey(PublicId from, String commit) {
    }

    private GossipService(NodeRepository repo, Identity identity, GossipSettings settings, EventLoopGroup group,
                          boolean ownsGroup, Supplier<List<NodeInfo>> bootstrap, TransferLog transferLog) {
        this.repo = repo;
        this.identity = identity;
        this.settings = settings;
        this.group = group;
        this.ownsGroup = ownsGroup;
        this.bootstrap = bootstrap;
        this.protocolThread = Executors.newSingleThreadScheduledExecutor(named("gossip-" + identity.publicId().shortForm()));
        this.workers = Executors.newFixedThreadPool(FETCH_WORKERS, named("gossip-fetch-" + identity.publicId().shortForm()));
        this.fetcher = new BundleFetcher(repo, identity, settings.peer(), transferLog, group);
        this.knownPeers = settings.peersFile() == null ? null : new KnownPeers(settings.peersFile());
    }

    /**
     * Listens for links and bundle clients on the settings' address, builds the protocol for this
     * node's NodeInfo, and starts dialling the peers remembered on disk and those {@code bootstrap}
     * names (the coordinator's recent nodes; asked off the protocol thread, and again while this
     * node has few links).
     *
     * @param shared an event loop group to run on and leave running, or null for one of its own
     */
    public static GossipService start(NodeRepository repo, Identity identity, GossipSettings settings,
                                      Function<NodeInfo, PeerProtocol> protocolFor, Supplier<List<NodeInfo>> bootstrap,
                                      TransferLog transferLog, EventLoopGroup shared) throws InterruptedException {
        EventLoopGroup group = shared != null ? shared : new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        GossipService service = new GossipService(repo, identity, settings, group, shared == null, bootstrap, transferLog);
        try {
            service.server = PeerServer.start(repo, identity, settings.host(), settings.port(), settings.peer(), group,
                    service::accept);
            NodeInfo self = NodeInfo.newBuilder().setNode(identity.publicId().toByteString()).setHost(settings.host())
                    .setPort(service.server.port()).setHardwareClass(settings.hardwareClass()).build();
            service.call(() -> {
                service.protocol = protocolFor.apply(self);
                service.resign(service.nowMs());
                // Held before any link is up, so nothing is announced: neighbours learn of them as links open.
                for (String commit : repo.commits()) {
                    service.apply(service.protocol.onLocalCommit(commit, service.nowMs()));
                }
                List<NodeInfo> remembered = service.knownPeers == null ? List.of() : service.knownPeers.load();
                service.apply(service.protocol.start(remembered, service.nowMs()));
                return null;
            });
            service.askForPeers();
            long tick = settings.tick().toMillis();
            service.protocolThread.scheduleWithFixedDelay(service::tick, tick, tick, TimeUnit.MILLISECONDS);
            log.info("gossip on {}:{} as {}", settings.host(), service.server.port(), identity.publicId().shortForm());
            return service;
        } catch (RuntimeException | InterruptedException e) {
            service.close();
            throw e;
        }
    }

    /** Caps the bytes per second this node downloads in bundles (0: no cap). */
    public void capDownloads(long bytesPerSecond) {
        fetcher.capDownloads(bytesPerSecond);
    }

    public int port() {
        return server.port();
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /** This node now holds {@code commit} (made here, or fetched outside gossip): neighbours hear of it. */
    public void onLocalCommit(String commit) {
        post(() -> {
            apply(protocol.onLocalCommit(commit, nowMs()));
            complete(commit, FetchResult.alreadyHeld(commit));
        });
    }

    /**
     * Gets {@code commit} into the repository for the node's work, through the same planner as
     * gossip's own fetches: never two transfers of one commit, never from a banned peer, the stall
     * rule on every transfer. {@code hints} are peers said to hold it (unverified); neighbours that
     * announced it are asked too. Completes when it is imported, or exceptionally with a
     * {@link FetchException} once nobody is left to ask. Safe to call from any thread, many at once.
     */
    public CompletableFuture<FetchResult> fetch(String commit, List<PeerEndpoint> hints) {
        CompletableFuture<FetchResult> done = new CompletableFuture<>();
        if (repo.has(commit)) {
            done.complete(FetchResult.alreadyHeld(commit));
            return done;
        }
        List<PublicId> peers = new ArrayList<>();
        for (PeerEndpoint hint : hints) {
            if (hint.getNode().size() == PublicId.LENGTH) {
                PublicId id = PublicId.of(hint.getNode());
                peers.add(id);
                hinted.put(id, NodeInfo.newBuilder().setNode(hint.getNode()).setHost(hint.getHost())
                        .setPort(hint.getPort()).build());
            }
        }
        waiting.computeIfAbsent(commit, c -> new CopyOnWriteArrayList<>()).add(done);
        post(() -> {
            if (repo.has(commit)) {
                complete(commit, FetchResult.alreadyHeld(commit));
            } else {
                apply(protocol.want(commit, peers, nowMs()));
            }
        });
        return done;
    }

    /** {@link #fetch} for a caller that blocks, as the work loop does. */
    public FetchResult fetchNow(String commit, List<PeerEndpoint> hints) throws FetchException, InterruptedException {
        try {
            return fetch(commit, hints).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof FetchException f) {
                throw f;
            }
            throw new FetchException(commit, List.of(String.valueOf(e.getCause())));
        }
    }

    private void complete(String commit, FetchResult result) {
        List<CompletableFuture<FetchResult>> waiters = waiting.remove(commit);
        if (waiters != null) {
            waiters.forEach(w -> w.complete(result));
        }
    }

    /** Verified results this node heard from the gossip network (its own not counted). */
    public long resultsHeard() {
        return resultsHeard.get();
    }

    /** Pushes a Result this node signed to its neighbours. */
    public void announceResult(SignedEnvelope result) {
        post(() -> apply(protocol.announceResult(result, nowMs())));
    }

    /** Runs {@code query} on the protocol thread and waits for its answer: for stats, tests and benchmarks. */
    public <T> T query(Function<PeerProtocol, T> query) throws InterruptedException {
        return call(() -> query.apply(protocol));
    }

    /** Peers with an open link now. */
    public Set<PublicId> linkedPeers() throws InterruptedException {
        return call(() -> Set.copyOf(links.keySet()));
    }

    /** Bundle bytes streamed to peers since start. */
    public long bytesServed() {
        return server == null ? 0 : server.bytesServed();
    }

    public Counters counters() {
        return new Counters(gossipSent.get(), gossipDropped.get(), gossipReceived.get(), fetchesStarted.get(),
                fetcher.bytesReceived(), violations.get());
    }

    // --- link events, from event loops --------------------------------------------------------

    PublicId self() {
        return identity.publicId();
    }

    long nowMs() {
        return System.currentTimeMillis();
    }

    /** The hello for a new link, or null until the protocol is up. */
    PeerMessage hello() {
        return hello;
    }

    /** Our signature over a nonce the peer made for this connection. */
    byte[] proveTo(byte[] peerNonce, PublicId peer) {
        return HandshakeProof.sign(identity, peerNonce, peer);
    }

    private void accept(Channel channel, Hello peerHello) {
        GossipLink link = new GossipLink(this, null, settings.peer().connectTimeout().toMillis());
        channel.config().setOption(ChannelOption.WRITE_BUFFER_WATER_MARK, LINK_WATER_MARK);
        channel.pipeline().addLast(GossipLink.NAME, link);
        link.acceptHello(peerHello);
    }

    void linkUp(GossipLink link, boolean outbound) {
        post(() -> {
            PublicId peer = link.peer();
            long now = nowMs();
            if (outbound) {
                dialling.remove(peer);
            }
            if (!link.isActive()) {
                if (outbound) {
                    apply(protocol.onDialFailed(peer, now));
                }
                return;
            }
            if (protocol.isBanned(peer, now)) {
                log.warn("refusing a gossip link {} banned peer {}", outbound ? "to" : "from", peer.shortForm());
                link.close();
                return;
            }
            GossipLink existing = links.get(peer);
            if (existing != null) {
                // Both ends dialled at once: each keeps the link dialled by the smaller id, so they keep the same one.
                // The same dialler again is a reconnect, and the old link is the one likely dead.
                int order = dialler(existing).compareTo(dialler(link));
                if (order < 0) {
                    link.close();
                    return;
                }
                links.remove(peer);
                existing.close();
                apply(protocol.onDisconnected(peer, now));
            }
            links.put(peer, link);
            endpoints.put(peer, link.peerInfo().record());
            if (knownPeers != null) {
                knownPeers.remember(peer, link.peerInfo().envelope());
            }
            apply(protocol.onConnected(peer, link.peerInfo().envelope(), outbound, now));
        });
    }

    private String dialler(GossipLink link) {
        return (link.outbound() ? identity.publicId() : link.peer()).toString();
    }

    void linkMessage(GossipLink link, Gossip message) {
        gossipReceived.incrementAndGet();
        post(() -> {
            link.handled();
            if (links.get(link.peer()) == link) {
                apply(protocol.onMessage(link.peer(), message, nowMs()));
            }
        });
    }

    void linkViolation(GossipLink link, Violation violation) {
        violations.incrementAndGet();
        post(() -> apply(protocol.onViolation(link.peer(), violation, nowMs())));
    }

    void linkDown(GossipLink link) {
        post(() -> {
            PublicId peer = link.peer();
            if (peer == null) {
                if (link.outbound() && dialling.remove(link.dialled())) {
                    apply(protocol.onDialFailed(link.dialled(), nowMs()));
                }
                return;
            }
            if (links.get(peer) == link) {
                links.remove(peer);
                if (!link.closedByUs()) {
                    apply(protocol.onDisconnected(peer, nowMs()));
                }
            }
        });
    }

    // --- effects, on the protocol thread -------------------------------------------------------

    private void apply(List<Effect> effects) {
        applyEffects(effects);
        scheduleWakeup();
    }

    /** Ticks the protocol at the deadline it asks for (a stall, a backed-off holder), not only on the periodic tick. */
    private void scheduleWakeup() {
        long due = protocol.nextWakeupMs();
        if (due == Long.MAX_VALUE || due >= wakeupAtMs) {
            return;
        }
        if (wakeup != null) {
            wakeup.cancel(false);
        }
        wakeupAtMs = due;
        try {
            wakeup = protocolThread.schedule(() -> {
                wakeupAtMs = Long.MAX_VALUE;
                try {
                    apply(protocol.onTick(nowMs()));
                } catch (RuntimeException e) {
                    log.error("gossip wakeup failed", e);
                }
            }, Math.max(0, due - nowMs()), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down
        }
    }

    private void applyEffects(List<Effect> effects) {
        for (Effect effect : effects) {
            if (effect instanceof Effect.Send send) {
                send(send.to(), send.message());
            } else if (effect instanceof Effect.Dial dial) {
                dial(dial.peer());
            } else if (effect instanceof Effect.Disconnect disconnect) {
                disconnect(disconnect.peer(), disconnect.reason());
            } else if (effect instanceof Effect.Fetch fetch) {
                fetch(fetch.from(), fetch.commit());
            } else if (effect instanceof Effect.CancelFetch cancel) {
                cancelFetch(cancel.from(), cancel.commit());
            } else if (effect instanceof Effect.Unavailable gone) {
                List<CompletableFuture<FetchResult>> waiters = waiting.remove(gone.commit());
                if (waiters != null) {
                    FetchException e = new FetchException(gone.commit(), List.of(gone.reason()));
                    waiters.forEach(w -> w.completeExceptionally(e));
                }
            } else if (effect instanceof Effect.ResultSeen result) {
                resultsHeard.incrementAndGet();
                log.debug("result announced by gossip, signed by {}", PublicId.hex(result.result().getSigner()));
            }
        }
    }

    private void send(PublicId to, Gossip message) {
        GossipLink link = links.get(to);
        if (link == null) {
            return;  // the link closed after the protocol decided; it hears of that next
        }
        if (link.send(message)) {
            gossipSent.incrementAndGet();
        } else if (gossipDropped.incrementAndGet() % 100 == 1) {
            log.warn("gossip peer {} is not reading; dropping messages to it ({} dropped in all)", to.shortForm(),
                    gossipDropped.get());
        }
    }

    private void dial(NodeInfo peer) {
        PublicId id = PublicId.of(peer.getNode());
        if (links.containsKey(id) || !dialling.add(id)) {
            return;
        }
        GossipLink link = new GossipLink(this, id, settings.peer().connectTimeout().toMillis());
        new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.peer().connectTimeout().toMillis())
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, LINK_WATER_MARK)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        FrameCodec.install(ch.pipeline(), PeerMessage.getDefaultInstance(), settings.peer().maxFrameBytes());
                        ch.pipeline().addLast(GossipLink.NAME, link);
                    }
                })
                .connect(peer.getHost(), peer.getPort())
                .addListener(connected -> {
                    if (!connected.isSuccess()) {
                        log.debug("cannot dial gossip peer {} at {}:{}: {}", id.shortForm(), peer.getHost(), peer.getPort(),
                                PeerMessages.describe(connected.cause()));
                        post(() -> {
                            if (dialling.remove(id)) {
                                apply(protocol.onDialFailed(id, nowMs()));
                            }
                        });
                    }
                });
    }

    private void disconnect(PublicId peer, String reason) {
        GossipLink link = links.remove(peer);
        if (link != null) {
            log.warn("disconnecting gossip peer {}: {}", peer.shortForm(), reason);
            link.close();
        }
    }

    private void fetch(PublicId from, String commit) {
        NodeInfo where = endpoints.getOrDefault(from, hinted.get(from));
        if (where == null) {
            apply(protocol.onFetchFailed(from, commit, FetchFailure.CONNECTION_LOST, nowMs()));
            return;
        }
        FetchKey key = new FetchKey(from, commit);
        Cancellation cancel = new Cancellation();
        fetches.put(key, cancel);
        fetchesStarted.incrementAndGet();
        try {
            workers.execute(() -> runFetch(key, endpoint(where), cancel));
        } catch (RejectedExecutionException e) {
            fetches.remove(key);  // shutting down
        }
    }

    private void runFetch(FetchKey key, PeerEndpoint where, Cancellation cancel) {
        try {
            FetchResult result = fetcher.fetchFrom(where, key.commit(),
                    (commit, soFar, total) -> post(() -> {
                        if (fetches.get(key) == cancel) {
                            apply(protocol.onFetchProgress(key.from(), commit, soFar, nowMs()));
                        }
                    }), cancel);
            post(() -> {
                if (fetches.remove(key, cancel)) {
                    listeners.forEach(l -> l.fetched(key.commit(), key.from(), result.bytes()));
                    apply(protocol.onFetched(key.from(), key.commit(), result.bytes(), nowMs()));
                }
                complete(key.commit(), result);
            });
        } catch (PeerFailure e) {
            if (e.kind() == PeerFailure.Kind.CANCELLED) {
                return;
            }
            log.warn("gossip peer {} failed to deliver {}: {}", key.from().shortForm(), CommitId.abbreviate(key.commit()),
                    e.getMessage());
            post(() -> {
                if (fetches.remove(key, cancel)) {
                    apply(protocol.onFetchFailed(key.from(), key.commit(), failure(e.kind()), nowMs()));
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static FetchFailure failure(PeerFailure.Kind kind) {
        return switch (kind) {
            case NOT_FOUND -> FetchFailure.NOT_FOUND;
            case STALLED -> FetchFailure.STALLED;
            case OVERSIZED -> FetchFailure.OVERSIZED;
            case BAD_BUNDLE -> FetchFailure.WRONG_BUNDLE;
            // Our own disk trouble is not the peer's fault: report it as a loss, which costs the peer nothing.
            case CONNECTION_LOST, LOCAL, CANCELLED -> FetchFailure.CONNECTION_LOST;
        };
    }

    private void cancelFetch(PublicId from, String commit) {
        Cancellation cancel = fetches.remove(new FetchKey(from, commit));
        if (cancel != null) {
            cancel.cancel();
        }
    }

    // --- timers ---------------------------------------------------------------------------------

    private void tick() {
        try {
            long now = nowMs();
            if (now - signedAtMs >= RESIGN_MS) {
                resign(now);
            }
            apply(protocol.onTick(now));
            if (links.size() < FEW_LINKS && now - bootstrappedAtMs >= REBOOTSTRAP_MS) {
                askForPeers();
            }
            if (knownPeers != null && now - savedAtMs >= SAVE_PEERS_MS) {
                savedAtMs = now;
                workers.execute(knownPeers::save);
            }
        } catch (RuntimeException e) {
            log.error("gossip tick failed", e);
        }
    }

    private void resign(long now) {
        signedAtMs = now;
        hello = PeerMessages.gossipHello(identity, protocol.signedSelfInfo(now));
    }

    /** Asks the bootstrap source off the protocol thread (it may be a slow or dead coordinator). */
    private void askForPeers() {
        bootstrappedAtMs = nowMs();
        CompletableFuture.supplyAsync(bootstrap, workers)
                .thenAccept(found -> post(() -> apply(protocol.learn(withoutSelf(found), nowMs()))))
                .exceptionally(e -> {
                    log.warn("cannot find gossip peers: {}", e.getMessage());
                    return null;
                });
    }

    private List<NodeInfo> withoutSelf(List<NodeInfo> peers) {
        return peers.stream().filter(p -> !p.getNode().equals(identity.publicId().toByteString())).toList();
    }

    // --- plumbing ---------------------------------------------------------------------------------

    private void post(Runnable task) {
        try {
            protocolThread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.error("gossip protocol step failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private <T> T call(java.util.concurrent.Callable<T> task) throws InterruptedException {
        try {
            return protocolThread.submit(task).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private static PeerEndpoint endpoint(NodeInfo info) {
        return PeerEndpoint.newBuilder().setNode(info.getNode()).setHost(info.getHost()).setPort(info.getPort()).build();
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() {
        fetches.values().forEach(Cancellation::cancel);
        waiting.values().forEach(ws -> ws.forEach(w -> w.cancel(false)));
        protocolThread.shutdownNow();
        try {
            protocolThread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<GossipLink> open = new ArrayList<>(links.values());
        open.forEach(GossipLink::close);
        if (server != null) {
            server.close();
        }
        workers.shutdownNow();
        if (knownPeers != null) {
            knownPeers.save();
        }
        fetcher.close();
        if (ownsGroup) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
