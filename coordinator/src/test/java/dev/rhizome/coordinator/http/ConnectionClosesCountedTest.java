package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.support.RawHttp;
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

/**
 * Connections the coordinator closes on its own are counted in {@code /metrics} by reason (round
 * 29): before, an idle timeout, the stall rule ({@link WriteStall}) and a non-reader let go for a
 * neighbour ({@link ReplyHolders}) were at most a bounded log line, so an operator could not tell a
 * wave of non-readers from clients leaving. Each is provoked here on loopback; a connection its
 * client closes is counted by none. (The 10,000-request budget: {@code PipelinedConnectionEdgesProbeTest}.)
 */
class ConnectionClosesCountedTest {
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

    private void start(CoordinatorLimits limits, ByteShares replies) throws Exception {
        Arrays.fill(big, (byte) 'a');
        Router router = new Router().get("/big", r -> Reply.bytes(big, "text/plain")).get("/small", r -> Reply.text("ok"));
        server = HttpServer.start("127.0.0.1", 0, 1 << 20, limits, router, metrics, replies);
        url = "http://127.0.0.1:" + server.port();
    }

    @Test
    void aConnectionLeftIdleIsCountedAsIdleAndOneItsClientClosesIsNot() throws Exception {
        start(CoordinatorLimits.defaults().withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(1)),
                ByteShares.replies(ByteShares.DEFAULT_REPLY_BYTES));
        try (RawHttp leaving = new RawHttp(url)) {
            assertThat(leaving.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        }
        RawHttp idle = connection("127.0.0.1");
        assertThat(idle.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(idle::closedByServer);
        await().atMost(Duration.ofSeconds(10)).until(() -> closed("idle") == 1);
        assertThat(metrics.scrape()).as("only the idle one, nothing else").containsOnlyOnce("rhizome_connections_closed_total{");
    }

    @Test
    void aClientThatReadsNoneOfItsReplyIsCountedAsAWriteStall() throws Exception {
        start(CoordinatorLimits.defaults().withReplyStallTimeout(Duration.ofSeconds(1)), ByteShares.replies(64L << 20));
        nonReader("127.0.0.1");
        await().atMost(Duration.ofSeconds(30)).until(() -> closed("write_stall") == 1);
        assertThat(closed("reply_holders")).isZero();
        assertThat(closed("idle")).isZero();
    }

    @Test
    void aNonReaderLetGoForANeighbourIsCountedAsAReplyHolder() throws Exception {
        // The stall rule waits 30 s; a neighbour may have a holder let go after a tenth of that.
        ByteShares replies = ByteShares.replies(64L << 20);
        start(CoordinatorLimits.defaults().withReplyStallTimeout(Duration.ofSeconds(30)), replies);
        nonReader("127.0.0.1");
        nonReader("127.0.0.1");
        await().atMost(Duration.ofSeconds(30)).until(() -> replies.held("127.0.0.1") >= big.length);
        await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofMillis(500)).until(() ->
                connection("127.0.0.1").send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n").read().status() == 200);
        await().atMost(Duration.ofSeconds(10)).until(() -> closed("reply_holders") >= 1);
        assertThat(closed("write_stall")).as("let go before the stall rule's time").isZero();
    }

    /** How many connections were closed for {@code reason}, as {@code /metrics} shows it. */
    private long closed(String reason) {
        Matcher m = Pattern.compile("rhizome_connections_closed_total\\{reason=\"" + reason + "\",?\\} ([0-9.E]+)")
                .matcher(metrics.scrape());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    private RawHttp connection(String from) throws Exception {
        RawHttp raw = new RawHttp(url, from);
        open.add(raw);
        return raw;
    }

    /** A connection from {@code from} that asks for the large page and never reads a byte. */
    private void nonReader(String from) throws Exception {
        Socket socket = new Socket();
        open.add(socket);
        socket.setReceiveBufferSize(4096);
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
        socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
}
