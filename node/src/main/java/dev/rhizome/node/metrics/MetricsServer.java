package dev.rhizome.node.metrics;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} on loopback only: a node's numbers are for the volunteer's own Prometheus,
 * not for the peers that can reach its peer port.
 *
 * <p>Every local process can connect, so no connection may keep the others waiting: each is one
 * request, answered and closed, and is closed whatever it sent once {@link #CONNECTION_LIFETIME}
 * has passed since it was accepted; at most {@link #MAX_CONNECTIONS} are open at once (the rest are
 * closed as accepted). The JDK's server this replaces read each request on its one worker thread
 * with no time limit, so one connection that sent half a request line and then nothing stopped
 * every scrape for as long as it stayed open.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** Far more than a scrape takes on loopback; what a connection may hold a place for. */
    static final Duration CONNECTION_LIFETIME = Duration.ofSeconds(10);
    /** Open connections; a scraper needs one at a time. */
    static final int MAX_CONNECTIONS = 64;
    private static final int MAX_REQUEST_LINE = 4096;
    private static final int MAX_HEADERS = 8192;

    /** Where the text served comes from. */
    @FunctionalInterface
    public interface Scrape {
        String scrape() throws InterruptedException;
    }

    private final EventLoopGroup group;
    private final ExecutorService scrapes;
    private final Channel channel;

    private MetricsServer(EventLoopGroup group, ExecutorService scrapes, Channel channel) {
        this.group = group;
        this.scrapes = scrapes;
        this.channel = channel;
    }

    /** Serves on 127.0.0.1:{@code port} (0 for a free port). */
    public static MetricsServer start(int port, NodeMetrics metrics) throws IOException {
        return start(port, metrics::scrape);
    }

    /** Serves {@code source} on 127.0.0.1:{@code port} (0 for a free port). */
    public static MetricsServer start(int port, Scrape source) throws IOException {
        return start(port, source, CONNECTION_LIFETIME);
    }

    /** With each connection's lifetime given: tests hold connections longer, or end them sooner. */
    static MetricsServer start(int port, Scrape source, Duration lifetime) throws IOException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        // Scrapes run one at a time off the event loop (a scrape asks the gossip core and waits).
        ExecutorService scrapes = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "metrics-http");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger open = new AtomicInteger();
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (open.incrementAndGet() > MAX_CONNECTIONS) {
                            open.decrementAndGet();
                            ch.close();
                            return;
                        }
                        ScheduledFuture<?> end = ch.eventLoop().schedule(() -> {
                            ch.close();
                        }, lifetime.toMillis(), TimeUnit.MILLISECONDS);
                        ch.closeFuture().addListener(f -> {
                            open.decrementAndGet();
                            end.cancel(false);
                        });
                        ch.pipeline().addLast(new HttpServerCodec(MAX_REQUEST_LINE, MAX_HEADERS, 8192),
                                // GET has no body: one is refused (413) rather than read.
                                new HttpObjectAggregator(0),
                                new Handler(source, scrapes));
                    }
                });
        try {
            Channel channel = bootstrap.bind(InetAddress.getLoopbackAddress(), port).sync().channel();
            return new MetricsServer(group, scrapes, channel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shutdown(group, scrapes);
            throw new IOException("interrupted while binding the metrics port", e);
        } catch (Exception e) {  // Netty rethrows a bind failure (checked) from sync()
            shutdown(group, scrapes);
            throw e instanceof IOException io ? io : new IOException("cannot serve metrics on 127.0.0.1:" + port
                    + ": " + e.getMessage(), e);
        }
    }

    /** One request per connection: answered, then the connection is closed. */
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Scrape source;
        private final ExecutorService scrapes;

        Handler(Scrape source, ExecutorService scrapes) {
            this.source = source;
            this.scrapes = scrapes;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            ctx.channel().config().setAutoRead(false);  // nothing after this request is read
            if (!request.decoderResult().isSuccess()) {
                reply(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request\n");
            } else if (!new QueryStringDecoder(request.uri()).rawPath().equals("/metrics")) {
                reply(ctx, HttpResponseStatus.NOT_FOUND, "only /metrics is served here\n");
            } else if (!request.method().equals(HttpMethod.GET)) {
                reply(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "GET only\n");
            } else {
                try {
                    scrapes.execute(() -> scrapeInto(ctx));
                } catch (RejectedExecutionException e) {
                    reply(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "node is stopping\n");
                }
            }
        }

        private void scrapeInto(ChannelHandlerContext ctx) {
            if (!ctx.channel().isActive()) {
                return;  // closed at its lifetime's end while it waited
            }
            try {
                reply(ctx, HttpResponseStatus.OK, source.scrape());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reply(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "node is stopping\n");
            } catch (RuntimeException e) {
                log.warn("metrics scrape failed", e);
                reply(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "scrape failed: " + e + "\n");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static void reply(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8)));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    public int port() {
        return ((java.net.InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        shutdown(group, scrapes);
    }

    private static void shutdown(EventLoopGroup group, ExecutorService scrapes) {
        scrapes.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
