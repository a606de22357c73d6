package dev.rhizome.node.gossip.net;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.FallbackResign;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.LinkHandshake;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.node.peer.AddressBackoff;
import dev.rhizome.node.peer.BundleBuilders;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.DialAddress;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.FetchResult;
import dev.rhizome.node.peer.HandshakeDeadline;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.node.peer.PeerServer;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.WorkerFailures;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gossip protocol on real sockets: a thin driver. Every call into the core runs on one
 * {@link CoreThread}, in order ({@link CoreSteps}), and the effects it returns are carried out by
 * the {@link EffectApplier}, each by the piece whose job it is: {@link OutboundDialler} (dials),
 * {@link GossipFetches} (fetches on the {@link FetchWorkers}), {@link FetchWaiters} (the work
 * loop's callers), {@link PeerFinder} (bootstrap requests), {@link LinkEvents} (what links say),
 * {@link GossipMeters} (the counts {@code /metrics} serves). Every decision (when to tick,
 * re-sign, re-bootstrap or save, which of two links to keep, whom to fetch from and where to reach
 * them) is the core's. One persistent link per neighbour carries gossip frames; bundles move over
 * separate short connections to the neighbour's bundle server, which listens on the same port as
 * the links.
 */
public final class GossipService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GossipService.class);

    /**
     * Told, on the core thread, whenever a bundle arrived through gossip; {@code from} is the holder
     * that proved its key and served it (a fetch in pieces: the one whose header it followed), not
     * necessarily the peer the transfer was started for.
     */
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
    private final KnownPeers knownPeers;
    private final LinkRegistry links = new LinkRegistry();
    /** Addresses of peers cut for misbehaviour that came back, whose new connections the server closes at accept for a while. */
    private final AddressBackoff offenders = new AddressBackoff();
    /** Inbound handshakes (a verification and a signature each) in turns shared among addresses. */
    private final HandshakeGate handshakes = new HandshakeGate();
    private final FetchWaiters waiters = new FetchWaiters();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final SelfHello self = new SelfHello();
    private final PeerClocks clocks = new PeerClocks();
    private final CoreSteps steps = new Steps();
    private final GossipMeters meters;
    private final LinkEvents linkEvents;
    private final OutboundDialler dialler;
    private final EffectApplier applier;
    private PeerServer server;
    /** Set on the core thread before any step runs; read there only. */
    private PeerProtocol protocol;
    /** Runs the {@link StarvationProbe}: this process's own scheduling lateness. */
    private final ScheduledExecutorService probeTimer;

    private GossipService(NodeRepository repo, Identity identity, GossipSettings settings, EventLoopGroup group,
                          boolean ownsGroup, Supplier<List<NodeInfo>> bootstrap, Supplier<Reach> bootstrapReach,
                          TransferLog transferLog, LongSupplier clock, PeerResolver resolver, MeterRegistry registry) {
        this.repo = repo;
        this.identity = identity;
        this.settings = settings;
        this.group = group;
        this.ownsGroup = ownsGroup;
        String name = identity.publicId().shortForm();
        this.core = new CoreThread("gossip-" + name, clock);
        this.probeTimer = Executors.newSingleThreadScheduledExecutor(CoreThread.daemon("gossip-probe-" + name));
        this.fetcher = new BundleFetcher(repo, identity, settings.peer(), transferLog, group);
        this.workers = new FetchWorkers(fetcher, resolver, GossipCore.MAX_CONCURRENT_FETCHES, "gossip-fetch-" + name);
        this.knownPeers = settings.peersFile() == null ? null : new KnownPeers(settings.peersFile());
        this.meters = new GossipMeters(registry, fetcher::bytesReceived);
        this.linkEvents = new LinkEvents(steps, links, meters, clocks);
        this.dialler = new OutboundDialler(steps, links, linkEvents, identity, self, settings.peer(), group, resolver);
        this.applier = new EffectApplier(steps, core, links, offenders, dialler,
                new GossipFetches(steps, links, workers, waiters, repo, listeners, meters), waiters,
                new PeerFinder(steps, identity.publicId(), bootstrap, bootstrapReach, workers::execute), self, knownPeers,
                workers, meters);
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
                new SimpleMeterRegistry());
    }

    /**
     * {@link #start(NodeRepository, Identity, GossipSettings, Function, Supplier, Supplier, TransferLog, EventLoopGroup)}
     * counting into {@code meters} (the node's {@code /metrics} registry) under the names
     * {@link GossipMeters} gives.
     */
    public static GossipService start(NodeRepository repo, Identity identity, GossipSettings settings,
                                      Function<NodeInfo, PeerProtocol> protocolFor, Supplier<List<NodeInfo>> bootstrap,
                                      Supplier<Reach> bootstrapReach, TransferLog transferLog, EventLoopGroup shared,
                                      MeterRegistry meters) throws InterruptedException {
        return start(repo, identity, settings, protocolFor, bootstrap, bootstrapReach, transferLog, shared,
                System::currentTimeMillis, PeerResolver.SYSTEM, meters);
    }

    /** {@link #start} with a bootstrap source trusted as configured (a test network on loopback). */
    public static GossipService start(NodeRepository repo, Identity identity, GossipSettings settings,
                                      Function<NodeInfo, PeerProtocol> protocolFor, Supplier<List<NodeInfo>> bootstrap,
                                      TransferLog transferLog, EventLoopGroup shared) throws InterruptedException {
        return start(repo, identity, settings, protocolFor, bootstrap, transferLog, shared, System::currentTimeMillis);
    }

    /**
     * {@link #start} on the given wall clock (milliseconds since the epoch, as the core's announcements
     * are dated); the core's timers run on the monotonic clock whatever it does.
     */
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
        return start(repo, identity, settings, protocolFor, bootstrap, bootstrapReach, transferLog, shared, clock, resolver,
                new SimpleMeterRegistry());
    }

    static GossipService start(NodeRepository repo, Identity identity, GossipSettings settings,
                               Function<NodeInfo, PeerProtocol> protocolFor, Supplier<List<NodeInfo>> bootstrap,
                               Supplier<Reach> bootstrapReach, TransferLog transferLog, EventLoopGroup shared, LongSupplier clock,
                               PeerResolver resolver, MeterRegistry meters) throws InterruptedException {
        EventLoopGroup group = shared != null ? shared : new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        GossipService service = new GossipService(repo, identity, settings, group, shared == null, bootstrap, bootstrapReach,
                transferLog, clock, resolver, meters);
        try {
            service.server = PeerServer.start(repo, identity, settings.host(), settings.port(), settings.peer(), group,
                    service::accept, service::servedWhole, service.offenders);
            DialAddress announce = settings.announce();
            NodeInfo self = NodeInfo.newBuilder().setNode(identity.publicId().toByteString())
                    .setHost(announce != null ? announce.host() : settings.host())
                    .setPort(announce != null ? announce.port() : service.server.port())
                    .setHardwareClass(settings.hardwareClass()).build();
            service.core.call(() -> {
                service.begin(protocolFor.apply(self));
                return null;
            });
            log.info("gossip on {}:{} as {}{}", settings.host(), service.server.port(), identity.publicId().shortForm(),
                    announce != null ? ", dialled at " + announce : "");
            return service;
        } catch (RuntimeException | InterruptedException e) {
            service.close();
            throw e;
        }
    }

    /** On the core thread: the protocol learns what we hold, then starts from the remembered peers. */
    private void begin(PeerProtocol made) {
        protocol = made;
        core.beforeEach(this::tellWallClock);
        long now = nowMs();
        self.signed(protocol.signedSelfInfo(now));
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
        if (!applier.asksForWakeups()) {
            FallbackResign resign = new FallbackResign(now);
            core.every(settings.tick().toMillis(), () -> {
                long t = nowMs();
                if (resign.due(t)) {
                    self.signed(protocol.signedSelfInfo(t));
                }
                apply(protocol.onTick(t));
            });
        }
    }

    /**
     * Core thread, before each step: where the wall clock stands against the core's (monotonic)
     * time, so records are dated and judged by it; the core decides what a step of it means.
     */
    private void tellWallClock() {
        apply(protocol.onWallClock(core.wallMs(), nowMs()));
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
            waiters.complete(commit, FetchResult.alreadyHeld(commit));
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
        if (repo.has(commit)) {
            return CompletableFuture.completedFuture(FetchResult.alreadyHeld(commit));
        }
        List<NodeInfo> holders = new ArrayList<>();
        for (PeerEndpoint hint : hints) {
            holders.add(NodeInfo.newBuilder().setNode(hint.getNode()).setHost(hint.getHost()).setPort(hint.getPort()).build());
        }
        CompletableFuture<FetchResult> done = waiters.await(commit);
        core.post(() -> {
            if (repo.has(commit)) {
                waiters.complete(commit, FetchResult.alreadyHeld(commit));
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

    /** Verified results this node heard from the gossip network (its own not counted). */
    public long resultsHeard() {
        return meters.resultsHeard();
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

    /**
     * Whether a dial to {@code peer} is started and not yet up or failed: a test waits for it to end
     * to know that a dial it expects refused was decided, rather than for a fixed time in which none
     * connected.
     */
    boolean dialling(PublicId peer) throws InterruptedException {
        return core.call(() -> links.dialling(peer));
    }

    /** The server's bundle builders (bounded: a request finding them full is answered BUSY), null before start. */
    public BundleBuilders bundleBuilders() {
        return server == null ? null : server.bundleBuilders();
    }

    /** Bundle bytes streamed to peers since start. */
    public long bytesServed() {
        return server == null ? 0 : server.bytesServed();
    }

    /** Bundle readers held by a read past their patience (all of them: a dead disk, and every upload answered BUSY). */
    public int bundleReadersBlocked() {
        return server == null ? 0 : server.bundleReaders().blocked();
    }

    /**
     * This node's clock against its peers' (the median of the dates of the hellos its handshakes read
     * lately, and the problem when it is off by more than the skew allowed), or null with too few
     * peers read: a node whose clock is wrong has its links refused at both ends, with no reason sent.
     */
    public ClockCheck clockCheck() {
        return clocks.verdict(core.nowMs());
    }

    /** See {@link #clockCheck}: peers' clocks ahead of ours by {@code peersAheadMs} (the median of {@code peers}); {@code problem} null when within the skew. */
    public record ClockCheck(long peersAheadMs, int peers, String problem) {
    }

    /** Control traffic and losses, read from the meters {@code /metrics} serves. */
    public Counters counters() {
        return meters.counters();
    }

    long nowMs() {
        return core.nowMs();
    }

    /** Our hello as a new link would carry it (without its per-connection nonce), or null until the protocol is up. */
    PeerMessage hello() {
        SignedEnvelope info = self.info();
        return info == null ? null : PeerMessages.gossipHello(identity, info);
    }

    private void apply(List<Effect> effects) {
        applier.apply(effects);
    }

    /** The core thread, as the pieces reach it: each step runs there once the protocol is up. */
    private final class Steps implements CoreSteps {
        @Override
        public void post(Function<PeerProtocol, List<Effect>> step) {
            core.post(() -> run(step));
        }

        @Override
        public void run(Function<PeerProtocol, List<Effect>> step) {
            if (protocol != null) {
                apply(step.apply(protocol));
            }
        }

        @Override
        public void later(Runnable work) {
            core.post(work);
        }

        @Override
        public long nowMs() {
            return core.nowMs();
        }

        @Override
        public long wallMs() {
            return core.wallMs();
        }
    }

    // --- the server's callbacks, from event loops ------------------------------------------------

    private void accept(Channel channel, Hello peerHello) {
        GossipLink link = new GossipLink(linkEvents, LinkHandshake.accept(identity, self.info(), HandshakeProof.newNonce()), null);
        channel.config().setOption(ChannelOption.WRITE_BUFFER_WATER_MARK, GossipLink.WATER_MARK);
        channel.pipeline().addLast(GossipLink.NAME, link);
        // Its wait for a turn, and our answer, are ours: the peer's next turn starts when our hello is written.
        HandshakeDeadline.ourTurn(channel.pipeline());
        handshakes.admit(channel, () -> link.acceptHello(peerHello));
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
        steps.post(p -> p.onServed(to, commit, nowMs()));
    }

    @Override
    public void close() {
        waiters.cancelAll();
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
        dialler.close();
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
