package dev.rhizome.ops.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The bench's load generator: one Netty event loop thread drives every client, each a keep-alive
 * HTTP/1.1 connection with one request in flight at a time (a closed loop: the next request goes
 * out when the previous answer is in). Requests are built from bytes prepared before the run, so
 * the clients cost little CPU; their event loop thread's CPU time is measured so it can be told
 * apart from the coordinator's.
 */
final class ClosedLoopClients implements AutoCloseable {
    static final String PROTOBUF = "application/x-protobuf";

    /** One client's conversation: what to send first and what to send after each answer. */
    interface Conversation {
        /** The first request, or null if this client has nothing to do. */
        FullHttpRequest first();

        /**
         * Called on the event loop with each answer and its round-trip time.
         *
         * @return the next request, or null when this client is done
         * @throws Exception to fail the run (a refusal the bench did not expect)
         */
        FullHttpRequest next(FullHttpResponse response, double ms) throws Exception;
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            (ThreadFactory) r -> new Thread(r, "bench-client-loop"), NioIoHandler.newFactory());
    private final URI base;
    private final long loopThreadId;
    private final String network;

    ClosedLoopClients(String url) throws Exception {
        this.base = URI.create(url);
        this.network = new dev.rhizome.node.api.CoordinatorClient(url, dev.rhizome.protocol.identity.Identity.generate())
                .network();
        this.loopThreadId = group.submit(() -> Thread.currentThread().getId()).get();
    }

    /** The coordinator's network id: what every record the clients sign names. */
    String network() {
        return network;
    }

    /** CPU time the load generator's thread has used so far, in nanoseconds. */
    long cpuNanos() {
        return ManagementFactory.getThreadMXBean().getThreadCpuTime(loopThreadId);
    }

    FullHttpRequest get(String path) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path, Unpooled.EMPTY_BUFFER);
        r.headers().set(HttpHeaderNames.HOST, base.getAuthority()).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return r;
    }

    /** A POST of a protobuf body, asking for a protobuf answer (no JSON on either side). */
    FullHttpRequest post(String path, byte[] body) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
                Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.HOST, base.getAuthority()).set(HttpHeaderNames.CONTENT_TYPE, PROTOBUF)
                .set(HttpHeaderNames.ACCEPT, PROTOBUF).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return r;
    }

    /**
     * Connects every conversation first, then starts them together and waits until all are done.
     *
     * @return the seconds from the start to the last answer
     */
    double run(List<? extends Supplier<Conversation>> conversations) throws Exception {
        List<Channel> channels = new ArrayList<>();
        List<CompletableFuture<Void>> done = new ArrayList<>();
        try {
            List<Loop> loops = new ArrayList<>();
            for (Supplier<Conversation> c : conversations) {
                Loop loop = new Loop(c.get());
                loops.add(loop);
                done.add(loop.done);
                channels.add(new Bootstrap().group(group).channel(NioSocketChannel.class)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .handler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20), loop);
                            }
                        }).connect(base.getHost(), base.getPort()).sync().channel());
            }
            long start = System.nanoTime();
            group.submit(() -> loops.forEach(Loop::start)).sync();
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
            return (System.nanoTime() - start) / 1e9;
        } finally {
            channels.forEach(Channel::close);
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class Loop extends SimpleChannelInboundHandler<FullHttpResponse> {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private final Conversation conversation;
        private ChannelHandlerContext ctx;
        private long sentNanos;

        Loop(Conversation conversation) {
            this.conversation = conversation;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        void start() {
            FullHttpRequest first = conversation.first();
            if (first == null) {
                done.complete(null);
            } else {
                send(first);
            }
        }

        private void send(FullHttpRequest request) {
            sentNanos = System.nanoTime();
            ctx.writeAndFlush(request);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            double ms = (System.nanoTime() - sentNanos) / 1e6;
            try {
                FullHttpRequest next = conversation.next(response, ms);
                if (next == null) {
                    done.complete(null);
                } else {
                    send(next);
                }
            } catch (Exception e) {
                done.completeExceptionally(e);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.completeExceptionally(new IOException("the coordinator closed a bench connection"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
            ctx.close();
        }
    }
}
