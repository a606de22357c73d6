package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import dev.rhizome.coordinator.CoordinatorLimits;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator's Netty HTTP server: event loops for I/O, a small worker pool for the routes.
 * Each connection's pipeline, in order: connection caps, idle timeout, the deadline for a whole
 * request, the HTTP codec, the budget for bodies in transit, the size limit, then the API.
 */
public final class HttpServer implements AutoCloseable {
    private static final int WORKERS = 32;  // they mostly wait on the group commit; verification is CPU-bound
    private static final int QUEUED_REQUESTS = 1024;
    /*
     * One network's share (an IPv4 /24, an IPv6 /48): it runs on at most 24 of the 32 workers and
     * queues at most half the queue, so the other networks always have 8 workers and 512 places.
     * One address's share within it is two thirds and half of that, so its neighbours keep 8
     * workers and 256 places of their network's. A free worker serves the networks in turn, and in
     * each its addresses in turn. Nodes behind one NAT share one address's share.
     */
    private static final FairWorkers.Share PER_NETWORK = new FairWorkers.Share(24, 512);
    private static final FairWorkers.Share PER_ADDRESS = new FairWorkers.Share(16, 256);

    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final FairWorkers workers;
    private final Channel channel;

    private HttpServer(EventLoopGroup boss, EventLoopGroup io, FairWorkers workers, Channel channel) {
        this.boss = boss;
        this.io = io;
        this.workers = workers;
        this.channel = channel;
    }

    /** @param metrics counts requests, refusals and rejected signatures, and serves /metrics */
    public static HttpServer start(String host, int port, int maxBodyBytes, CoordinatorLimits limits,
            Routes.Services services, CoordinatorMetrics metrics) throws InterruptedException {
        return start(host, port, maxBodyBytes, limits, services, metrics, TrustedProxies.NONE);
    }

    /** @param proxies whose X-Forwarded-For names the client (none: the header is ignored) */
    public static HttpServer start(String host, int port, int maxBodyBytes, CoordinatorLimits limits,
            Routes.Services services, CoordinatorMetrics metrics, TrustedProxies proxies) throws InterruptedException {
        Router router = Routes.build(services, new SignedRequests(metrics, services.bans()::require,
                services.views()::networkId), metrics);
        return start(host, port, maxBodyBytes, limits, router, metrics, ByteShares.replies(ByteShares.DEFAULT_REPLY_BYTES),
                proxies);
    }

    /** The server over any routes: the coordinator's, or a test's. */
    static HttpServer start(String host, int port, int maxBodyBytes, CoordinatorLimits limits, Router router,
            CoordinatorMetrics metrics) throws InterruptedException {
        return start(host, port, maxBodyBytes, limits, router, metrics, ByteShares.replies(ByteShares.DEFAULT_REPLY_BYTES));
    }

    /** With a given budget of reply bytes waiting for their clients: a test's. */
    static HttpServer start(String host, int port, int maxBodyBytes, CoordinatorLimits limits, Router router,
            CoordinatorMetrics metrics, ByteShares replies) throws InterruptedException {
        return start(host, port, maxBodyBytes, limits, router, metrics, replies, TrustedProxies.NONE);
    }

    static HttpServer start(String host, int port, int maxBodyBytes, CoordinatorLimits limits, Router router,
            CoordinatorMetrics metrics, ByteShares replies, TrustedProxies proxies) throws InterruptedException {
        return start(host, port, maxBodyBytes, limits, router, metrics, replies,
                ByteShares.bodies(limits.maxBufferedBodyBytes(), maxBodyBytes), proxies);
    }

    /** With given budgets of reply bytes and of body bytes in transit (a test's, to watch them). */
    static HttpServer start(String host, int port, int maxBodyBytes, CoordinatorLimits limits, Router router,
            CoordinatorMetrics metrics, ByteShares replies, ByteShares bodies, TrustedProxies proxies)
            throws InterruptedException {
        return start(host, port, maxBodyBytes, limits, router, metrics, replies, bodies, proxies,
                ReadWork.of(limits.readBudgets()));
    }

    /** With a given budget of CPU for reads (a test's, to reach it soon). */
    static HttpServer start(String host, int port, int maxBodyBytes, CoordinatorLimits limits, Router router,
            CoordinatorMetrics metrics, ByteShares replies, ByteShares bodies, TrustedProxies proxies, ReadWork reads)
            throws InterruptedException {
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup io = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        FairWorkers workers = new FairWorkers(WORKERS, QUEUED_REQUESTS, PER_ADDRESS, PER_NETWORK,
                "coordinator-worker");
        ConnectionLimits connections = new ConnectionLimits(limits.maxConnections(), limits.maxConnectionsPerNetwork(),
                limits.maxConnectionsPerAddress()).counting(metrics::connectionRefused);
        long idleMs = limits.idleTimeout().toMillis();
        HeadRefusals heads = new HeadRefusals(router);
        // A tenth of the time a non-reader could hold its replies anyway (WriteStall).
        ReplyHolders holders = new ReplyHolders(limits.replyStallTimeout().toNanos() / 10);
        try {
            Channel channel = new ServerBootstrap()
                    .group(boss, io)
                    .channel(NioServerSocketChannel.class)
                    // A client that half-closes after its requests still gets its answers (ApiHandler).
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            RequestDeadline deadline = new RequestDeadline(limits.requestTimeout(), limits.minDataRate());
                            // Counted once, when it closes, under the reason its closer named (ConnectionCloses).
                            ConnectionCloses.countedBy(ch, metrics);
                            ch.pipeline()
                                    .addLast(connections)
                                    .addLast(new WriteStall(limits.replyStallTimeout()))
                                    .addLast(new IdleStateHandler(0, 0, idleMs, TimeUnit.MILLISECONDS))
                                    .addLast(deadline)
                                    // Decoder and encoder apart, not HttpServerCodec: past its cap on requests
                                    // decoded ahead (128) the codec closed the connection after the next reply,
                                    // dropping the requests it had read; ApiHandler keeps that cap and answers.
                                    .addLast(new RequestDecoder(deadline, maxBodyBytes))
                                    .addLast(new HttpResponseEncoder())
                                    .addLast(new BodyBudget(bodies, proxies))
                                    .addLast(new OversizedBodies(maxBodyBytes, heads))
                                    .addLast(new ApiHandler(router, workers, limits.maxPipelined(), deadline, metrics, replies,
                                            proxies, reads, holders, limits.maxRequestsPerConnection()));
                        }
                    })
                    .bind(host, port).sync().channel();
            return new HttpServer(boss, io, workers, channel);
        } catch (Throwable e) { // Netty's sync() rethrows a bind failure, a checked BindException, undeclared
            workers.shutdownNow();
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            io.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Stops accepting, lets requests in flight finish their transactions, then stops the loops. */
    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        workers.shutdown();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
