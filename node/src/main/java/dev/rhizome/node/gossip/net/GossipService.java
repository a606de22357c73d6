package dev.rhizome.node.gossip.net;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.FetchFailure;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.LinkHandshake;
import dev.rhizome.node.gossip.core.PeerAddressing;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.node.gossip.core.Violation;
import dev.rhizome.node.peer.AddressBackoff;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.FetchResult;
import dev.rhizome.node.peer.FrameDeadline;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.node.peer.PeerServer;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.WorkerFailures;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.frame.FrameCodec;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gossip protocol on real sockets: a thin driver. Every call into the core runs on one
 * {@link CoreThread}, in order, and the effects it returns are carried out here: sends, dials and
 * disconnects on the {@link LinkRegistry}'s links, fetches on the {@link FetchWorkers}, the wakeup
 * the core asks for, its re-signed hello, bootstrap requests and the peers file. Every decision
 * (when to tick, re-sign, re-bootstrap or save, which of two links to keep, whom to fetch from and
 * where to reach them) is the core's. One persistent link per neighbour carries gossip frames;
 * bundles move over separate short connections to the neighbour's bundle server, which listens on
 * the same port as the links.
 */
public final class GossipService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GossipService.class);
    /** A banned peer may reconnect in a loop, each time to be disconnected again. */
    private static final WarnBudget DISCONNECTING = new WarnBudget(log);
    /** Peers that stop reading, each a line per hundred messages dropped, could else fill the log between them. */
    private static final WarnBudget NOT_READING = new WarnBudget(log);
    /** Threads looking up dialled hosts: a slow name server delays the dials behind it, not the core. */
    private static final int RESOLVERS = 2;
    /** Gossip messages are small: a link with this much unsent has a peer that stopped reading, and sends to it are dropped. */
    private static final WriteBufferWaterMark LINK_WATER_MARK = new WriteBufferWaterMark(256 << 10, 1 << 20);
    /** A protocol that never asks for wakeups (a baseline) has its hello re-signed this often. */
    private static final long FALLBACK_RESIGN_MS = 60_000;

    /** Told, on the core thread, whenever a bundle arrived through gossip. */
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
    private final GossipSettings settings;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final CoreThread core;
    private final FetchWorkers workers;
    private final BundleFetcher fetcher;
    private final Supplier<List<NodeInfo>> bootstrap;
    /** How far {@link #bootstrap}'s source reaches, asked with it: its addresses may reach no narrower. */
    private final Supplier<Reach> bootstrapReach;
    private final KnownPeers knownPeers;
    private final LinkRegistry links = new LinkRegistry();
    /** Addresses of peers cut for misbehaviour that came back, whose new connections the server closes at accept for a while. */
    private final AddressBackoff offenders = new AddressBackoff();
    /** Inbound handshakes (a verification and a signature each) in turns shared among addresses. */
    private final HandshakeGate handshakes = new HandshakeGate();
    /** Work-loop callers waiting for a commit, completed when it is imported or the core says nobody can serve it. */
    private final Map<String, List<CompletableFuture<FetchResult>>> waiting = new ConcurrentHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong resultsHeard = new AtomicLong();
    private final AtomicLong gossipSent = new AtomicLong();
    private final AtomicLong gossipDropped = new AtomicLong();
    private final AtomicLong gossipReceived = new AtomicLong();
    private final AtomicLong fetchesStarted = new AtomicLong();
    private final AtomicLong violations = new AtomicLong();
    /** Our signed NodeInfo for hellos, as the core last signed it; read by event loops. */
    private volatile SignedEnvelope selfInfo;
    private PeerServer server;
    private PeerProtocol protocol;
    private boolean asksForWakeups;
    /** Runs the {@link StarvationProbe}: this process's own scheduling lateness. */
    private final ScheduledExecutorService probeTimer;
    private final PeerResolver resolver;
    /** Looks up the hosts of peers to dial: DNS blocks, and must hold up neither the core thread nor an event loop. */
    private final ExecutorService resolving;

    private GossipService(NodeRepository repo, Identity identity, GossipSettings settings, EventLoopGroup group,
                          boolean ownsGroup, Supplier<List<NodeInfo>> bootstrap, Supplier<Reach> bootstrapReach,
                          TransferLog transferLog, LongSupplier clock, PeerResolver resolver) {
        this.repo = repo;
        this.identity = identity;
        this.settings = settings;
        this.group = group;
        this.ownsGroup = ownsGroup;
        this.bootstrap = bootstrap;
        this.bootstrapReach = bootstrapReach;
        String name = identity.publicId().shortForm();
        this.core = new CoreThread("gossip-" + name, clock);
        this.probeTimer = Executors.newSingleThreadScheduledExecutor(CoreThread.daemon("gossip-probe-" + name));
        this.fetcher = new BundleFetcher(repo, identity, settings.peer(), transferLog, group);
        this.resolver = resolver;
        this.resolving = Executors.newFixedThreadPool(RESOLVERS, CoreThread.daemon("gossip-resolve-" + name));
        this.workers = new FetchWorkers(fetcher, resolver, GossipCore.MAX_CONCURRENT_FETCHES, "gossip-fetch-" + name);
        this.knownPeers = settings.peersFile() == null ? null : new KnownPeers(settings.peersFile());
    }

    /**
     * Listens for links and bundle clients on the settings' address, builds the protocol for this
     * node's NodeInfo, and starts it with the peers remembered on disk; the core then asks for
     * {@code bootstrap}'s nodes (the coordinator's recent nodes, asked off the core thread) when it
     * needs them.
     *
     * @param shared an event loop group to run on and leave running, or null for one of its own
     * @param bootstrapReach how far {@code bootstrap}'s source reaches now (the coordinator's:
     *        {@code CoordinatorClient.reach()}), asked with it: the peers it names are kept only if
     *        they reach no narrower, and dialled only where their names resolve no narrower
     */
    public static GossipService start(NodeRepository repo, Identity identity, GossipSettings settings,
                                      Function<NodeInfo, PeerProtocol> protocolFor, Supplier<List<NodeInfo>> bootstrap,
                                      Supplier<Reach> bootstrapReach, TransferLog transferLog, EventLoopGroup shared)
            throws InterruptedException {
        return start(repo, identity, settings, protocolFor, bootstrap, bootstrapReach, transferLog, shared,
                System::currentTimeMillis, PeerResolver.SYSTEM);
    }

    /** {@link #start} with a bootstrap source trusted as configured (a test network on loopback). */
    public static GossipService start(NodeRepository repo, Identity identity, GossipSettings settings,
                                      Function<NodeInfo, PeerProtocol> protocolFor, Supplier<List<NodeInfo>> bootstrap,
                                      TransferLog transferLog, EventLoopGroup shared) throws InterruptedException {
        return start(repo, identity, settings, protocolFor, bootstrap, transferLog, shared, System::currentTimeMillis);
    }

    /** {@link #start} on the given clock (milliseconds since the epoch, as the core's announcements are dated). */
    static GossipService start(NodeRepository repo, Identity identity, GossipSettings settings,
                               Function<NodeInfo, PeerProtocol> protocolFor, Supplier<List<NodeInfo>> bootstrap,
                               TransferLog transferLog, EventLoopGroup shared, LongSupplier clock) throws InterruptedException {
        return start(repo, identity, settings, protocolFor, bootstrap, transferLog, shared, clock, PeerResolver.SYSTEM);
    }

    /** {@link #start} with the given resolver of peers' host names (a test's stand-in for DNS). */
    static GossipService start(NodeRepository repo, Identity identity, GossipSettings settings,
                               Function<NodeInfo, PeerProtocol> protocolFor, Supplier<List<NodeInfo>> bootstrap,
                               TransferLog transferLog, EventLoopGroup shared, LongSupplier clock, PeerResolver resolver)
            throws InterruptedException {
        return start(repo, identity, settings, protocolFor, bootstrap, () -> Reach.LOOPBACK, transferLog, shared, clock, resolver);
    }

    static GossipService start(NodeRepository repo, Identity identity, GossipSettings settings,
                               Function<NodeInfo, PeerProtocol> protocolFor, Supplier<List<NodeInfo>> bootstrap,
                               Supplier<Reach> bootstrapReach, TransferLog transferLog, EventLoopGroup shared, LongSupplier clock,
                               PeerResolver resolver) throws InterruptedException {
        EventLoopGroup group = shared != null ? shared : new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        GossipService service = new GossipService(repo, identity, settings, group, shared == null, bootstrap, bootstrapReach,
                transferLog, clock, resolver);
        try {
            service.server = PeerServer.start(repo, identity, settings.host(), settings.port(), settings.peer(), group,
                    service::accept, service::servedWhole, service.offenders);
            NodeInfo self = NodeInfo.newBuilder().setNode(identity.publicId().toByteString()).setHost(settings.host())
                    .setPort(service.server.port()).setHardwareClass(settings.hardwareClass()).build();
            service.core.call(() -> {
                service.begin(protocolFor.apply(self));
                return null;
            });
            log.info("gossip on {}:{} as {}", settings.host(), service.server.port(), identity.publicId().shortForm());
            return service;
        } catch (RuntimeException | InterruptedException e) {
            service.close();
            throw e;
        }
    }

    /** On the core thread: the protocol learns what we hold, then starts from the remembered peers. */
    private void begin(PeerProtocol made) {
        protocol = made;
        long now = nowMs();
        selfInfo = protocol.signedSelfInfo(now);
        // Held before any link is up, so nothing is announced: neighbours learn of them as links open.
        // Only the commits made here (their refs/rhizome/own/ marks) get keepers named again.
        Set<String> own = repo.ownCommits();
        for (String commit : repo.commits()) {
            apply(protocol.onHeld(commit, own.contains(commit), now));
        }
        List<NodeInfo> remembered = knownPeers == null ? List.of() : knownPeers.load();
        apply(protocol.start(remembered, nowMs()));
        StarvationProbe probe = new StarvationProbe(System.nanoTime());
        // On a thread of its own: a backlog on the core thread (a peer's flood) is not starvation, and must excuse no staller.
        probeTimer.scheduleWithFixedDelay(WorkerFailures.periodic(log, "the starvation probe", () -> {
            long late = probe.lateMs(System.nanoTime());
            if (late > 0) {
                core.post(() -> apply(protocol.onStarved(late, nowMs())));
            }
        }), StarvationProbe.PERIOD_MS, StarvationProbe.PERIOD_MS, TimeUnit.MILLISECONDS);
        if (!asksForWakeups) {
            long[] signedAt = {now};
            core.every(settings.tick().toMillis(), () -> {
                long t = nowMs();
                if (t - signedAt[0] >= FALLBACK_RESIGN_MS) {
                    signedAt[0] = t;
                    selfInfo = protocol.signedSelfInfo(t);
                }
                apply(protocol.onTick(t));
            });
        }
    }

    /** Caps the bytes per second this node downloads in bundles (0: no cap). */
    public void capDownloads(long bytesPerSecond) {
        fetcher.capDownloads(bytesPerSecond);
        core.post(() -> protocol.capDownloads(bytesPerSecond));
    }

    public int port() {
        return server.port();
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /** This node now holds {@code commit} (made here, or fetched outside gossip): neighbours hear of it. */
    public void onLocalCommit(String commit) {
        core.post(() -> {
            apply(protocol.onLocalCommit(commit, nowMs()));
            complete(commit, FetchResult.alreadyHeld(commit));
        });
    }

    /**
     * The repository gave {@code commits} up (over its budget): the protocol stops holding them and
     * tells its neighbours (so none takes a later "not found" for a lie, and their makers name other
     * keepers).
     */
    public void dropped(Collection<String> commits) {
        List<String> copy = List.copyOf(commits);
        core.post(() -> apply(protocol.onDropped(copy, nowMs())));
    }

    /**
     * Gets {@code commit} into the repository for the node's work, through the same planner as
     * gossip's own fetches: never two transfers of one commit, never from a banned peer, the stall
     * rule on every transfer. {@code hints} are peers said to hold it (unverified); neighbours that
     * announced it are asked too. Completes when it is imported, or exceptionally with a
     * {@link FetchException} once nobody is left to ask. Safe to call from any thread, many at once.
     */
    public CompletableFuture<FetchResult> fetch(String commit, List<PeerEndpoint> hints) {
        return fetch(commit, hints, Reach.LOOPBACK);
    }

    /**
     * {@link #fetch(String, List)} with hints from a source of reach {@code learntOver} (the
     * coordinator's, {@code CoordinatorClient.reach()}): a hint narrower than it is not asked, and a
     * hint's name is asked only where it resolves no narrower, looked up at each fetch. The
     * overload without it trusts the hints as configured (tests on loopback).
     */
    public CompletableFuture<FetchResult> fetch(String commit, List<PeerEndpoint> hints, Reach learntOver) {
        CompletableFuture<FetchResult> done = new CompletableFuture<>();
        if (repo.has(commit)) {
            done.complete(FetchResult.alreadyHeld(commit));
            return done;
        }
        List<NodeInfo> holders = new ArrayList<>();
        for (PeerEndpoint hint : hints) {
            holders.add(NodeInfo.newBuilder().setNode(hint.getNode()).setHost(hint.getHost()).setPort(hint.getPort()).build());
        }
        waiting.computeIfAbsent(commit, c -> new CopyOnWriteArrayList<>()).add(done);
        core.post(() -> {
            if (repo.has(commit)) {
                complete(commit, FetchResult.alreadyHeld(commit));
            } else {
                apply(protocol.wantFrom(commit, holders, learntOver, nowMs()));
            }
        });
        return done;
    }

    /** {@link #fetch} for a caller that blocks, as the work loop does. */
    public FetchResult fetchNow(String commit, List<PeerEndpoint> hints) throws FetchException, InterruptedException {
        return fetchNow(commit, hints, Reach.LOOPBACK);
    }

    /** {@link #fetch(String, List, Reach)} for a caller that blocks, as the work loop does. */
    public FetchResult fetchNow(String commit, List<PeerEndpoint> hints, Reach learntOver)
            throws FetchException, InterruptedException {
        try {
            return fetch(commit, hints, learntOver).get();
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
        core.post(() -> apply(protocol.announceResult(result, nowMs())));
    }

    /** Runs {@code query} on the core thread and waits for its answer: for stats, tests and benchmarks. */
    public <T> T query(Function<PeerProtocol, T> query) throws InterruptedException {
        return core.call(() -> query.apply(protocol));
    }

    /** Peers with an open link now. */
    public Set<PublicId> linkedPeers() throws InterruptedException {
        return core.call(links::peers);
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

    long nowMs() {
        return core.nowMs();
    }

    /** Our hello as a new link would carry it (without its per-connection nonce), or null until the protocol is up. */
    PeerMessage hello() {
        SignedEnvelope info = selfInfo;
        return info == null ? null : PeerMessages.gossipHello(identity, info);
    }

    private void accept(Channel channel, Hello peerHello) {
        GossipLink link = new GossipLink(this, LinkHandshake.accept(identity, selfInfo, HandshakeProof.newNonce()), null,
                settings.peer().connectTimeout().toMillis());
        channel.config().setOption(ChannelOption.WRITE_BUFFER_WATER_MARK, LINK_WATER_MARK);
        channel.pipeline().addLast(GossipLink.NAME, link);
        handshakes.admit(channel, () -> link.acceptHello(peerHello));
    }

    void linkUp(GossipLink link, boolean outbound) {
        core.post(() -> {
            PublicId peer = link.peer();
            if (outbound) {
                links.dialEnded(peer);
            }
            if (!link.isActive()) {
                if (outbound) {
                    apply(protocol.onDialFailed(peer, nowMs()));
                }
                return;
            }
            GossipLink old = links.get(peer);
            if (old != null && !old.isActive() && links.closed(old) && !old.closedByUs()) {
                // The old link is already dead, its close still on its way here: the core hears of it first,
                // so the tie-break never keeps a dead link over a live one.
                apply(protocol.onDisconnected(peer, nowMs()));
            }
            boolean first = links.add(peer, link);
            apply(protocol.onConnected(peer, link.peerInfo(), outbound, link.remote(), nowMs()));
            if (!first) {
                links.dropDuplicate(peer);  // the core kept the old link without saying so (a baseline)
            }
        });
    }

    void linkMessage(GossipLink link, Gossip message) {
        gossipReceived.incrementAndGet();
        core.post(() -> {
            link.handled();
            if (links.isCurrent(link)) {
                apply(protocol.onMessage(link.peer(), message, nowMs()));
            }
        });
    }

    /** The link's outbound buffer crossed its write mark: the core bounds how long a peer may read nothing. */
    void linkWritability(GossipLink link, boolean writable) {
        core.post(() -> {
            if (links.isCurrent(link)) {
                apply(protocol.onWritable(link.peer(), writable, nowMs()));
            }
        });
    }

    void linkViolation(GossipLink link, Violation violation) {
        violations.incrementAndGet();
        core.post(() -> apply(protocol.onViolation(link.peer(), violation, nowMs())));
    }

    void linkDown(GossipLink link) {
        core.post(() -> {
            PublicId peer = link.peer();
            if (peer == null) {
                if (link.outbound() && links.dialEnded(link.dialled())) {
                    apply(protocol.onDialFailed(link.dialled(), nowMs()));
                }
                return;
            }
            if (links.closed(link) && !link.closedByUs()) {
                apply(protocol.onDisconnected(peer, nowMs()));
            }
        });
    }

    // --- effects, on the core thread -------------------------------------------------------------

    /**
     * Carries out one step's effects, each on its own: one that fails must not lose the rest, the
     * step's Wakeup last among them (a dial that threw once lost it, and the core never ticked again).
     */
    private void apply(List<Effect> effects) {
        for (Effect effect : effects) {
            try {
                applyOne(effect);
            } catch (RuntimeException e) {
                log.error("gossip effect {} failed; the step's other effects go on", effect.getClass().getSimpleName(), e);
            }
        }
    }

    private void applyOne(Effect effect) {
        if (effect instanceof Effect.Send send) {
            send(send.to(), send.message());
        } else if (effect instanceof Effect.Dial dial) {
            dial(dial);
        } else if (effect instanceof Effect.Disconnect disconnect) {
            if (links.close(disconnect.peer())) {
                // The link limit turns peers away all day on a healthy network: that is no warning.
                if (disconnect.routine()) {
                    log.debug("disconnecting gossip peer {}: {}", disconnect.peer().shortForm(), disconnect.reason());
                } else {
                    DISCONNECTING.warn("disconnecting gossip peer {}: {}", disconnect.peer().shortForm(), disconnect.reason());
                }
            }
        } else if (effect instanceof Effect.Shun shun) {
            GossipLink back = links.get(shun.peer());
            if (back != null && back.remoteAddress() != null) {
                offenders.offence(back.remoteAddress());
            }
        } else if (effect instanceof Effect.DuplicateLink duplicate) {
            links.resolveDuplicate(duplicate.peer(), duplicate.keepNew());
        } else if (effect instanceof Effect.Fetch fetch) {
            fetch(fetch);
        } else if (effect instanceof Effect.CancelFetch cancel) {
            workers.cancel(new FetchWorkers.Key(cancel.from(), cancel.commit()));
        } else if (effect instanceof Effect.Unavailable gone) {
            List<CompletableFuture<FetchResult>> waiters = waiting.remove(gone.commit());
            if (waiters != null) {
                FetchException e = new FetchException(gone.commit(), List.of(gone.reason()));
                waiters.forEach(w -> w.completeExceptionally(e));
            }
        } else if (effect instanceof Effect.ResultSeen result) {
            resultsHeard.incrementAndGet();
            log.debug("result announced by gossip, signed by {}", PublicId.hex(result.result().getSigner()));
        } else if (effect instanceof Effect.Wakeup wakeup) {
            asksForWakeups = true;
            core.wakeAt(wakeup.atMs(), () -> apply(protocol.onTick(nowMs())));
        } else if (effect instanceof Effect.SignedSelf signed) {
            selfInfo = signed.nodeInfo();
        } else if (effect instanceof Effect.FindPeers) {
            findPeers();
        } else if (effect instanceof Effect.SavePeers save) {
            if (knownPeers != null) {
                long ticket = knownPeers.ticket();
                workers.execute(() -> knownPeers.save(ticket, save.peers()));
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
            NOT_READING.warn("gossip peer {} is not reading; dropping messages to it ({} dropped in all)", to.shortForm(),
                    gossipDropped.get());
        }
    }

    /** Resolves the peer's host off the core thread ({@link PeerResolver}), then connects to the address checked. */
    private void dial(Effect.Dial dial) {
        PublicId id = PublicId.of(dial.peer().getNode());
        if (!links.startDial(id)) {
            return;
        }
        try {
            resolving.execute(() -> {
                InetSocketAddress at;
                try {
                    at = resolver.resolve(dial.addressing());
                } catch (UnknownHostException | RuntimeException e) {
                    dialFailed(id, dial.peer(), e.getMessage());
                    return;
                }
                connect(id, dial.peer(), at);
            });
        } catch (RejectedExecutionException closing) {
            links.dialEnded(id);
        }
    }

    private void connect(PublicId id, NodeInfo peer, InetSocketAddress at) {
        GossipLink link = new GossipLink(this, LinkHandshake.dial(identity, id, selfInfo, HandshakeProof.newNonce()), id,
                settings.peer().connectTimeout().toMillis());
        ChannelFuture connecting;
        try {
            connecting = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.peer().connectTimeout().toMillis())
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, LINK_WATER_MARK)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(FrameDeadline.NAME, new FrameDeadline());
                            FrameCodec.install(ch.pipeline(), PeerMessage.getDefaultInstance(), settings.peer().maxFrameBytes());
                            ch.pipeline().addLast(GossipLink.NAME, link);
                        }
                    })
                    .connect(at);
        } catch (RuntimeException e) {
            // The address itself is refused (a port out of range): a failed dial, not a failed step.
            dialFailed(id, peer, e.getMessage());
            return;
        }
        connecting.addListener(connected -> {
            if (!connected.isSuccess()) {
                dialFailed(id, peer, PeerMessages.describe(connected.cause()));
            }
        });
    }

    private void dialFailed(PublicId id, NodeInfo peer, String why) {
        log.debug("cannot dial gossip peer {} at {}:{}: {}", id.shortForm(), LogSafe.of(peer.getHost()), peer.getPort(),
                LogSafe.of(why));
        core.post(() -> {
            if (links.dialEnded(id)) {
                apply(protocol.onDialFailed(id, nowMs()));
            }
        });
    }

    /**
     * Starts a Fetch at the addresses the core gave (its peer's first, then the other holders it
     * knows, to take pieces from), or at the link's hello for a protocol that gives none.
     */
    private void fetch(Effect.Fetch fetch) {
        List<PeerAddressing> holders = new ArrayList<>(fetch.addresses());
        if (fetch.where() == null) {
            NodeInfo where = links.info(fetch.from());
            GossipLink link = links.get(fetch.from());
            if (where == null || link == null) {
                apply(protocol.onFetchFailed(fetch.from(), fetch.commit(), FetchFailure.CONNECTION_LOST, nowMs()));
                return;
            }
            holders.removeIf(h -> h.info().getNode().equals(where.getNode()));
            holders.add(0, new PeerAddressing(where, link.remote().reach()));
        }
        // A holder without a host: its hello named an address out of its link's reach, never to be dialled.
        holders.removeIf(h -> h.info().getHost().isEmpty());
        if (holders.isEmpty() || !holders.get(0).info().getNode().equals(fetch.from().toByteString())) {
            apply(protocol.onFetchFailed(fetch.from(), fetch.commit(), FetchFailure.CONNECTION_LOST, nowMs()));
            return;
        }
        fetchesStarted.incrementAndGet();
        workers.start(new FetchWorkers.Key(fetch.from(), fetch.commit()), holders, outcomes);
    }

    /** Our server sent a whole bundle to the fetcher whose hello said {@code node}: the core weighs it as evidence. */
    private void servedWhole(ByteString node, String commit) {
        if (node.size() != PublicId.LENGTH) {
            return;
        }
        PublicId to;
        try {
            to = PublicId.of(node);
        } catch (IllegalArgumentException notAKey) {
            return;
        }
        core.post(() -> {
            if (protocol != null) {
                apply(protocol.onServed(to, commit, nowMs()));
            }
        });
    }

    private final FetchWorkers.Outcomes outcomes = new FetchWorkers.Outcomes() {
        @Override
        public void progress(FetchWorkers.Transfer t, long bytesSoFar) {
            core.post(() -> {
                if (workers.isCurrent(t)) {
                    apply(protocol.onFetchProgress(t.from(), t.commit(), bytesSoFar, nowMs()));
                }
            });
        }

        @Override
        public void fetched(FetchWorkers.Transfer t, FetchResult result) {
            core.post(() -> {
                if (workers.finish(t)) {
                    listeners.forEach(l -> l.fetched(t.commit(), t.from(), result.bytes()));
                    // Asked again here, on the core thread: the janitor may have given the commit up
                    // since the worker imported it, and its withdrawal, which came first, named a
                    // commit the core did not hold yet; announced now, it would be a claim no
                    // withdrawal follows.
                    apply(protocol.onFetched(t.from(), t.commit(), result.bytes(), repo.has(t.commit()), nowMs()));
                }
                complete(t.commit(), result);
            });
        }

        @Override
        public void holderFault(FetchWorkers.Transfer t, PublicId holder, FetchFailure failure, long silentForMs) {
            // When the range fell silent, on the core's clock, read as the verdict comes (not when the core gets to it).
            long silentSinceMs = nowMs() - silentForMs;
            core.post(() -> apply(protocol.onHolderFault(holder, t.commit(), failure, silentSinceMs, nowMs())));
        }

        @Override
        public void failed(FetchWorkers.Transfer t, FetchFailure failure) {
            core.post(() -> {
                if (workers.finish(t)) {
                    apply(protocol.onFetchFailed(t.from(), t.commit(), failure, nowMs()));
                }
            });
        }
    };

    /** Asks the bootstrap source off the core thread (it may be a slow or dead coordinator). */
    private void findPeers() {
        // The reach is asked after the list (it may look the coordinator's name up again): the later answer counts.
        CompletableFuture.supplyAsync(() -> new Found(bootstrap.get(), bootstrapReach.get()), workers::execute)
                .thenAccept(found -> core.post(() -> apply(protocol.learn(withoutSelf(found.peers()), found.reach(), nowMs()))))
                .exceptionally(e -> {
                    // the completion's wrapper only adds the exception's class name to the words
                    log.warn("cannot find gossip peers: {}", (e.getCause() != null ? e.getCause() : e).getMessage());
                    return null;
                });
    }

    private record Found(List<NodeInfo> peers, Reach reach) {
    }

    private List<NodeInfo> withoutSelf(List<NodeInfo> peers) {
        return peers.stream().filter(p -> !p.getNode().equals(identity.publicId().toByteString())).toList();
    }

    @Override
    public void close() {
        waiting.values().forEach(ws -> ws.forEach(w -> w.cancel(false)));
        List<Effect> last = List.of();
        if (protocol != null) {
            try {
                last = core.call(() -> protocol.stop(nowMs()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                log.warn("gossip core failed to stop cleanly: {}", e.getMessage());
            }
        }
        probeTimer.shutdownNow();
        resolving.shutdownNow();
        core.close();
        workers.close();
        for (Effect e : last) {
            if (e instanceof Effect.SavePeers save && knownPeers != null) {
                knownPeers.save(save.peers());
            }
        }
        links.closeAll();
        if (server != null) {
            server.close();
        }
        fetcher.close();
        if (ownsGroup) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
