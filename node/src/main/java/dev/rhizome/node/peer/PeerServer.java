package dev.rhizome.node.peer;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.frame.FrameCodec;
import dev.rhizome.protocol.identity.Identity;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the bundles of the commits this node holds (whole, or in ranges) to any peer that asks,
 * at most {@link PeerConfig#maxUploads()} at once (BUSY past that) and paced to
 * {@link PeerConfig#uploadBytesPerSecond()} in all; and hands connections that open with a gossip
 * hello to the node's gossip layer, so one port does both.
 */
public final class PeerServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerServer.class);
    private static final int EVENT_LOOP_THREADS = 2;
    static final String LIMITS = "inbound-limits";
    static final String IDLE = "idle";
    static final String SERVE = "serve";

    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final BundleBuilders bundleBuilders;
    private final BundleReaders bundleReaders;
    private final Channel channel;
    private final AtomicLong bytesServed;
    private final ChannelGroup connections;

    private PeerServer(EventLoopGroup group, boolean ownsGroup, BundleBuilders bundleBuilders, BundleReaders bundleReaders, Channel channel,
                       AtomicLong bytesServed, ChannelGroup connections) {
        this.group = group;
        this.ownsGroup = ownsGroup;
        this.bundleBuilders = bundleBuilders;
        this.bundleReaders = bundleReaders;
        this.channel = channel;
        this.bytesServed = bytesServed;
        this.connections = connections;
    }

    /** Listens on host:port (0 picks a free port) for bundle clients only; fails if the address cannot be bound. */
    public static PeerServer start(NodeRepository repo, Identity identity, String host, int port, PeerConfig config)
            throws InterruptedException {
        return start(repo, identity, host, port, config, null, null);
    }

    /**
     * Like {@link #start(NodeRepository, Identity, String, int, PeerConfig)}, on {@code shared}
     * when given (the server then leaves it running on close), and passing gossip connections to
     * {@code gossip} when given.
     */
    public static PeerServer start(NodeRepository repo, Identity identity, String host, int port, PeerConfig config,
                                   EventLoopGroup shared, GossipAcceptor gossip) throws InterruptedException {
        return start(repo, identity, host, port, config, shared, gossip, UploadWitness.NONE);
    }

    /** As above, telling {@code witness} of each bundle sent whole. */
    public static PeerServer start(NodeRepository repo, Identity identity, String host, int port, PeerConfig config,
                                   EventLoopGroup shared, GossipAcceptor gossip, UploadWitness witness)
            throws InterruptedException {
        return start(repo, identity, host, port, config, shared, gossip, witness, new AddressBackoff());
    }

    /** As above, closing at accept the connections from the addresses {@code backoff} holds closed. */
    public static PeerServer start(NodeRepository repo, Identity identity, String host, int port, PeerConfig config,
                                   EventLoopGroup shared, GossipAcceptor gossip, UploadWitness witness,
                                   AddressBackoff backoff) throws InterruptedException {
        boolean ownsGroup = shared == null;
        EventLoopGroup group = ownsGroup ? new MultiThreadIoEventLoopGroup(EVENT_LOOP_THREADS, NioIoHandler.newFactory()) : shared;
        // Bounded: a request that finds them all taken is answered BUSY at once, not queued on the asker's stall clock.
        BundleBuilders bundleBuilders = new BundleBuilders(daemonThreads("rhizome-bundle-builder"));
        // Chunks are read off the event loop too: a disk blocking mid-transfer holds up that transfer alone.
        BundleReaders bundleReaders = new BundleReaders(daemonThreads("rhizome-bundle-reader"));
        AtomicLong bytesServed = new AtomicLong();
        // Shared by every connection: uploads past the limit are answered BUSY (or take the place of an
        // upload of a peer holding more than the asker), and all of them together are paced.
        UploadSlots slots = new UploadSlots(config.maxUploads());
        UploadPacer pacer = new UploadPacer(config.uploadBytesPerSecond(), config.uploadBurstBytes(), System.nanoTime());
        InboundLimits limits = new InboundLimits(backoff);
        ChannelGroup connections = new DefaultChannelGroup("peer-connections", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                // A few chunks in flight per connection; past that ChunkStreamer waits for the reader.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.chunkBytes(), 4 * config.chunkBytes()))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);  // the group lets a closed one go by itself
                        ch.pipeline().addLast(LIMITS, limits);
                        // All-idle, not reader-idle: a client quietly downloading is busy, one that stopped reading is not.
                        ch.pipeline().addLast(IDLE, new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
                        // A started frame must be whole in time: the decoder alone waits forever for the rest.
                        ch.pipeline().addLast(FrameDeadline.NAME, new FrameDeadline());
                        FrameCodec.install(ch.pipeline(), PeerMessage.getDefaultInstance(), config.maxFrameBytes());
                        // A peer says hello and proves its key as soon as it connects: each of its turns is measured in what we give ourselves to connect.
                        ch.pipeline().addLast(HandshakeDeadline.NAME, new HandshakeDeadline(config.connectTimeout()));
                        if (gossip != null) {
                            ch.pipeline().addLast(HelloRouter.NAME, new HelloRouter(gossip));
                        }
                        ch.pipeline().addLast(SERVE, new ServeHandler(repo, identity, bundleBuilders, bundleReaders, config.chunkBytes(), bytesServed,
                                slots, pacer, ch.remoteAddress(), witness, backoff));
                    }
                });
        try {
            Channel channel = bootstrap.bind(host, port).sync().channel();
            log.info("serving bundles on {}", channel.localAddress());
            return new PeerServer(group, ownsGroup, bundleBuilders, bundleReaders, channel, bytesServed, connections);
        } catch (InterruptedException | RuntimeException e) {
            shutdown(ownsGroup ? group : null, bundleBuilders, bundleReaders);
            throw e;
        } catch (Exception e) {  // Netty rethrows bind failures (checked) from sync()
            shutdown(ownsGroup ? group : null, bundleBuilders, bundleReaders);
            throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /**
     * The bundle builders: their backlog, and for tests a way to take them all (real builds of a
     * holder whose disk blocks look the same to an asker).
     */
    public BundleBuilders bundleBuilders() {
        return bundleBuilders;
    }

    /** The bundle readers: for tests, a way to make every read block, as a stalling disk does. */
    public BundleReaders bundleReaders() {
        return bundleReaders;
    }

    /** Bundle bytes written to peers since start. */
    public long bytesServed() {
        return bytesServed.get();
    }

    /** Peers' connections open now (fetches and gossip links, proven or not): the descriptors peers hold. */
    public int openConnections() {
        return connections.size();
    }

    /**
     * Bytes written to peers' connections (bundles and gossip) that their sockets have not taken
     * yet, all connections together: the memory that peers who stop reading hold of ours (a few
     * chunks each, past which nothing more is written until they read).
     */
    public long bytesQueued() {
        long queued = 0;
        for (Channel connection : connections) {
            ChannelOutboundBuffer buffer = connection.unsafe().outboundBuffer();
            if (buffer != null) {  // null once closed
                queued += buffer.totalPendingWriteBytes();
            }
        }
        return queued;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        shutdown(ownsGroup ? group : null, bundleBuilders, bundleReaders);
    }

    /** @param group the group to shut down, or null when it is shared */
    private static void shutdown(EventLoopGroup group, BundleBuilders bundleBuilders, BundleReaders bundleReaders) {
        bundleBuilders.close();
        bundleReaders.close();
        if (group != null) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
