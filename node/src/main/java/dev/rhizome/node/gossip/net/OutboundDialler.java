package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.LinkHandshake;
import dev.rhizome.node.peer.FrameDeadline;
import dev.rhizome.node.peer.HandshakeDeadline;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.LogSafe;
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
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the core's Dials: looks the peer's host up off the core thread ({@link PeerResolver}),
 * connects a Netty client to the address checked, and installs a {@link GossipLink} that opens the
 * handshake. A dial that cannot connect (no address, refused, timed out, an address Netty refuses)
 * is told to the core as a failed dial; whether and when to dial again is the core's.
 */
final class OutboundDialler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OutboundDialler.class);
    /** Threads looking up dialled hosts: a slow name server delays the dials behind it, not the core. */
    private static final int RESOLVERS = 2;

    private final CoreSteps steps;
    private final LinkRegistry links;
    private final LinkEvents events;
    private final Identity identity;
    private final SelfHello self;
    private final PeerConfig settings;
    private final EventLoopGroup group;
    private final PeerResolver resolver;
    /** Looks up the hosts of peers to dial: DNS blocks, and must hold up neither the core thread nor an event loop. */
    private final ExecutorService resolving;
    /** The dials in flight, each until its socket closes or its lookup fails, so the core can give one up ({@link #cancel}). */
    private final Map<PublicId, Attempt> attempts = new ConcurrentHashMap<>();

    OutboundDialler(CoreSteps steps, LinkRegistry links, LinkEvents events, Identity identity, SelfHello self,
                    PeerConfig settings, EventLoopGroup group, PeerResolver resolver) {
        this.steps = steps;
        this.links = links;
        this.events = events;
        this.identity = identity;
        this.self = self;
        this.settings = settings;
        this.group = group;
        this.resolver = resolver;
        this.resolving = Executors.newFixedThreadPool(RESOLVERS,
                CoreThread.daemon("gossip-resolve-" + identity.publicId().shortForm()));
    }

    /** On the core thread: resolves the peer's host off it, then connects to the address checked. */
    void dial(Effect.Dial dial) {
        PublicId id = PublicId.of(dial.peer().getNode());
        if (!links.startDial(id)) {
            return;
        }
        Attempt attempt = new Attempt();
        attempts.put(id, attempt);
        try {
            resolving.execute(() -> {
                InetSocketAddress at;
                try {
                    at = resolver.resolve(dial.addressing());
                } catch (UnknownHostException | RuntimeException e) {
                    attempts.remove(id, attempt);
                    failed(id, dial.peer(), e.getMessage());
                    return;
                }
                connect(id, dial.peer(), at, attempt);
            });
        } catch (RejectedExecutionException closing) {
            attempts.remove(id, attempt);
            links.dialEnded(id);
        }
    }

    /**
     * On the core thread: the core gave up its dial to {@code id} (slow while the degree is held, or
     * stalled): its socket closes, connecting or mid-handshake, and nothing of it is reported, so a
     * late answer costs neither end a handshake nor the core a link it would turn away.
     */
    void cancel(PublicId id) {
        Attempt attempt = attempts.remove(id);
        if (attempt != null && links.dialEnded(id)) {
            attempt.cancel();
        }
    }

    private void connect(PublicId id, NodeInfo peer, InetSocketAddress at, Attempt attempt) {
        if (attempt.cancelled()) {
            return; // given up while its host was looked up
        }
        GossipLink link = new GossipLink(events, LinkHandshake.dial(identity, id, self.info(), HandshakeProof.newNonce()), id);
        ChannelFuture connecting;
        try {
            connecting = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeout().toMillis())
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, GossipLink.WATER_MARK)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(FrameDeadline.NAME, new FrameDeadline());
                            FrameCodec.install(ch.pipeline(), PeerMessage.getDefaultInstance(), settings.maxFrameBytes());
                            // Armed once connected: the connect has its own timeout, the handshake its turns.
                            ch.pipeline().addLast(HandshakeDeadline.NAME, new HandshakeDeadline(settings.connectTimeout()));
                            ch.pipeline().addLast(GossipLink.NAME, link);
                        }
                    })
                    .connect(at);
        } catch (RuntimeException e) {
            // The address itself is refused (a port out of range): a failed dial, not a failed step.
            failed(id, peer, e.getMessage());
            return;
        }
        connecting.channel().closeFuture().addListener(closed -> attempts.remove(id, attempt));
        if (!attempt.connecting(link, connecting.channel())) {
            return;
        }
        connecting.addListener(connected -> {
            if (!connected.isSuccess() && !attempt.cancelled()) {
                failed(id, peer, PeerMessages.describe(connected.cause()));
            }
        });
    }

    /** One dial's socket, once it has one, and whether the core gave the dial up. */
    private static final class Attempt {
        private GossipLink link;
        private Channel channel;
        private boolean cancelled;

        /** Notes the dial's socket; false (and the socket closed) when the dial was given up meanwhile. */
        synchronized boolean connecting(GossipLink link, Channel channel) {
            this.link = link;
            this.channel = channel;
            if (cancelled) {
                link.abandon(channel);
            }
            return !cancelled;
        }

        synchronized void cancel() {
            cancelled = true;
            if (channel != null) {
                link.abandon(channel);
            }
        }

        synchronized boolean cancelled() {
            return cancelled;
        }
    }

    private void failed(PublicId id, NodeInfo peer, String why) {
        log.debug("cannot dial gossip peer {} at {}:{}: {}", id.shortForm(), LogSafe.of(peer.getHost()), peer.getPort(),
                LogSafe.of(why));
        steps.post(p -> links.dialEnded(id) ? p.onDialFailed(id, steps.nowMs()) : List.of());
    }

    @Override
    public void close() {
        resolving.shutdownNow();
    }
}
