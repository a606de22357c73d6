package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.MinDataRate;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.support.RawHttp;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Every reason the coordinator closes a connection for, walked: each is provoked on its own and
 * the connection is counted in {@code rhizome_connections_closed_total} under that reason and no
 * other, once. The list walked is {@link ConnectionCloses#ALL}: a reason added without a way to
 * provoke it here fails. A write that fails and a handler that throws are provoked in an embedded
 * pipeline (the coordinator's own handlers, with a socket that refuses writes); the rest on loopback.
 * A connection its client closes is counted by none.
 */
class ConnectionClosesWalkTest {
    static final List<String> REASONS = ConnectionCloses.ALL;

    private final CoordinatorMetrics metrics = new CoordinatorMetrics();
    private final List<AutoCloseable> open = new ArrayList<>();
    private final byte[] big = new byte[16 << 20];
    private HttpServer server;
    private String url;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable each : open) {
            each.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("REASONS")
    void eachCloseIsCountedOnceUnderItsOwnReason(String reason) throws Exception {
        provoke(reason);
        await().atMost(Duration.ofSeconds(60)).until(() -> closed(reason) == 1);
        // A neighbour asking while the reply budget is full is answered 503, which ends its connection
        // (refused): those are other connections, each counted once, and not this one.
        List<String> others = REASONS.stream().filter(r -> !r.equals(reason))
                .filter(r -> !(reason.equals(ConnectionCloses.REPLY_HOLDERS) && r.equals(ConnectionCloses.REFUSED)))
                .toList();
        assertThat(others.stream().mapToLong(this::closed).sum())
                .as("counted under " + reason + " alone, once: " + metrics.scrape()).isZero();
    }

    /**
     * Leaving is the client's own doing: a connection it closes is counted under no reason. An idle
     * one closed by the server a second after it is the mark that its close was seen.
     */
    @Test
    void aConnectionItsClientClosesIsCountedByNone() throws Exception {
        start(CoordinatorLimits.defaults().withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(1)), 16 << 20);
        try (RawHttp leaving = new RawHttp(url)) {
            assertThat(leaving.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }
        RawHttp idle = connection();
        assertThat(idle.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(idle::closedByServer);
        await().atMost(Duration.ofSeconds(10)).until(() -> closed(ConnectionCloses.IDLE) == 1);
        assertThat(REASONS.stream().mapToLong(this::closed).sum()).as("the idle one alone: " + metrics.scrape())
                .isEqualTo(1);
    }

    private void provoke(String reason) throws Exception {
        CoordinatorLimits limits = CoordinatorLimits.defaults();
        switch (reason) {
            case ConnectionCloses.IDLE -> {
                start(limits.withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(1)), 16 << 20);
                RawHttp idle = connection();
                assertThat(idle.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
                await().atMost(Duration.ofSeconds(30)).until(idle::closedByServer);
            }
            case ConnectionCloses.WRITE_STALL -> {
                start(limits.withReplyStallTimeout(Duration.ofSeconds(1)), 64L << 20);
                nonReader();
            }
            case ConnectionCloses.REPLY_HOLDERS -> {
                // The stall rule waits 30 s; a neighbour may have a holder let go after a tenth of that.
                start(limits.withReplyStallTimeout(Duration.ofSeconds(30)), 64L << 20);
                nonReader();
                nonReader();
                await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofMillis(500)).until(() ->
                        connection().send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n").read().status() == 200);
            }
            case ConnectionCloses.REQUEST_BUDGET -> {
                start(limits.withRequestsPerConnection(3), 16 << 20);
                RawHttp raw = connection();
                for (int i = 0; i < 3; i++) {
                    RawHttp.Response r = raw.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n").read();
                    assertThat(r.status()).isEqualTo(200);
                    boolean last = i == 2;
                    assertThat(r.headers().toLowerCase(java.util.Locale.ROOT).contains("connection: close"))
                            .as("request " + (i + 1) + " of 3 closes the connection").isEqualTo(last);
                }
                await().atMost(Duration.ofSeconds(20)).until(raw::closedByServer);
            }
            case ConnectionCloses.REQUEST_TIMEOUT -> {
                start(limits.withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(120))
                        .withMinDataRate(new MinDataRate(0, Duration.ofSeconds(1))), 16 << 20);
                RawHttp raw = connection().send("GET /small HTTP/1.1\r\nHost: x\r\n");
                assertThat(raw.read().status()).isEqualTo(408);
            }
            case ConnectionCloses.SLOW_REQUEST -> {
                start(limits.withMinDataRate(new MinDataRate(1_000, Duration.ofSeconds(1))), 16 << 20);
                RawHttp raw = connection().send("GET /small HTTP/1.1\r\nHost: x\r\n");
                assertThat(raw.read().status()).isEqualTo(408);
            }
            case ConnectionCloses.REFUSED -> {
                start(limits, 16 << 20);
                RawHttp raw = connection().send("GET /small HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                        + "Content-Length: 2\r\n\r\n");
                assertThat(raw.read().status()).isEqualTo(400);
                await().atMost(Duration.ofSeconds(20)).until(raw::closedByServer);
            }
            case ConnectionCloses.REPLY_UNWRITABLE -> {
                EmbeddedChannel ch = embedded(new ChannelOutboundHandlerAdapter() {
                    @Override
                    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                        ReferenceCountUtil.release(msg);
                        promise.setFailure(new java.io.IOException("the socket took nothing"));
                    }
                });
                DefaultFullHttpRequest get = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/small");
                get.headers().set("Host", "x");
                ch.writeInbound(get);
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    ch.runPendingTasks();
                    return !ch.isOpen();
                });
            }
            case ConnectionCloses.PIPELINE_FAILURE -> {
                EmbeddedChannel ch = embedded(new ChannelOutboundHandlerAdapter());
                ch.pipeline().fireExceptionCaught(new IllegalStateException("a handler before the API failed"));
                ch.runPendingTasks();
                assertThat(ch.isOpen()).isFalse();
            }
            default -> throw new AssertionError("no way to provoke a close for " + reason + ": add one here");
        }
    }

    /** The coordinator's request handling over an embedded channel, {@code socket} standing for the socket. */
    private EmbeddedChannel embedded(ChannelOutboundHandlerAdapter socket) {
        FairWorkers workers = new FairWorkers(2, 16, new FairWorkers.Share(2, 16), new FairWorkers.Share(2, 16), "walk");
        open.add(workers::shutdownNow);
        Router router = new Router().get("/small", r -> Reply.text("ok"));
        RequestDeadline deadline = new RequestDeadline(Duration.ofSeconds(30));
        EmbeddedChannel ch = new EmbeddedChannel() {
            @Override
            protected java.net.SocketAddress remoteAddress0() {
                return new InetSocketAddress("127.0.0.1", 40000);
            }
        };
        ConnectionCloses.countedBy(ch, metrics);
        ch.pipeline().addLast(socket, deadline, new ApiHandler(router, workers, 16, deadline, metrics,
                ByteShares.replies(ByteShares.DEFAULT_REPLY_BYTES)));
        return ch;
    }

    private void start(CoordinatorLimits limits, long replyBytes) throws Exception {
        Arrays.fill(big, (byte) 'a');
        Router router = new Router().get("/big", r -> Reply.bytes(big, "text/plain")).get("/small", r -> Reply.text("ok"));
        server = HttpServer.start("127.0.0.1", 0, 1 << 20, limits, router, metrics, ByteShares.replies(replyBytes));
        url = "http://127.0.0.1:" + server.port();
    }

    private long closed(String reason) {
        Matcher m = Pattern.compile("rhizome_connections_closed_total\\{reason=\"" + reason + "\",?\\} ([0-9.E]+)")
                .matcher(metrics.scrape());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    private RawHttp connection() throws Exception {
        RawHttp raw = new RawHttp(url);
        open.add(raw);
        return raw;
    }

    /** A connection that asks for the large page and never reads a byte. */
    private void nonReader() throws Exception {
        Socket socket = new Socket();
        open.add(socket);
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
        socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
}
