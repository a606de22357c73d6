package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.support.RawHttp;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request head's field lines are bounded by their number (100) and each one's bytes (4,096), as
 * well as by their bytes in all (8 KiB), in a head and in a chunked body's trailer section: past
 * any of them the request is 431 naming the bound, and the connection closes. Only the total was
 * bounded: two thousand four-byte lines made two thousand header entries, kept while a slow client
 * held its head open, on each of its connections. The bounds hold across reads (a head trickled
 * line by line is counted whole), and a line too long is refused before its end arrives.
 */
class HeadBoundsTest {
    private static final String HEAD = "GET /small HTTP/1.1\r\nHost: x\r\n";

    private final CoordinatorMetrics metrics = new CoordinatorMetrics();
    private HttpServer server;
    private String url;

    @BeforeEach
    void start() throws Exception {
        Router router = new Router()
                .get("/small", r -> Reply.text("ok"))
                .post("/upload", r -> Reply.text("took " + r.body().length));
        server = HttpServer.start("127.0.0.1", 0, 1 << 20, CoordinatorLimits.defaults().withConnections(4096, 8),
                router, metrics);
        url = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** {@code n} distinct field lines of a few bytes each. */
    private static String fields(int n) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < n; i++) {
            lines.append("X-N").append(i).append(": 1\r\n");
        }
        return lines.toString();
    }

    private RawHttp.Response exchange(String request) throws Exception {
        try (RawHttp raw = new RawHttp(url)) {
            return raw.send(request).read();
        }
    }

    private static boolean saysClose(RawHttp.Response r) {
        return r.headers().toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n");
    }

    @Test
    void aHundredFieldLinesAreServedAndOneMoreIs431NamingTheBound() throws Exception {
        assertThat(exchange(HEAD + fields(99) + "\r\n").status()).as("Host and 99 more: 100").isEqualTo(200);
        try (RawHttp raw = new RawHttp(url)) {
            // the 101st line, then a request that must never be read
            RawHttp.Response r = raw.send(HEAD + fields(100) + "\r\n" + HEAD + "\r\n").read();
            assertThat(r.status()).isEqualTo(431);
            assertThat(r.body()).contains("TOO_LARGE").contains("more than 100 field lines");
            assertThat(saysClose(r)).isTrue();
            assertThat(raw.closedByServer()).as("the request after it is not answered").isTrue();
        }
    }

    @Test
    void aFieldLineOfTheBoundIsServedAndOneByteMoreIs431NamingItsField() throws Exception {
        String name = "X-Big: ";
        String exact = name + "a".repeat(MessageRules.MAX_FIELD_LINE_BYTES - name.length());
        assertThat(exchange(HEAD + exact + "\r\n\r\n").status()).as("a line of 4,096 bytes").isEqualTo(200);
        RawHttp.Response over = exchange(HEAD + exact + "a\r\n\r\n");
        assertThat(over.status()).isEqualTo(431);
        assertThat(over.body()).contains("(X-Big) is longer than 4096 bytes");
        assertThat(saysClose(over)).isTrue();
    }

    @Test
    void aFieldLineTooLongIsRefusedBeforeItEnds() throws Exception {
        try (RawHttp raw = new RawHttp(url)) {
            // no CRLF ever comes: the line is judged by what it holds so far, not at its end or the deadline
            RawHttp.Response r = raw.send(HEAD + "X-Endless: " + "e".repeat(5_000)).read();
            assertThat(r.status()).isEqualTo(431);
            assertThat(r.body()).contains("(X-Endless) is longer than 4096 bytes");
        }
    }

    @Test
    void fieldLinesAreBoundedInAllAsBefore() throws Exception {
        String line = "X-Big: " + "b".repeat(3_000) + "\r\n";
        RawHttp.Response r = exchange(HEAD + line.repeat(3) + "\r\n");
        assertThat(r.status()).isEqualTo(431);
        assertThat(r.body()).contains("larger than 8192 bytes in all");
    }

    /**
     * Netty's decoder, fed one line per read as a slow client sends them: the lines consumed by
     * earlier reads count with the later ones, for the number of lines and for their bytes.
     */
    @Test
    void aHeadTrickledLineByLineIsCountedWhole() {
        assertThat(refusalOfLineByLine(fields(101))).contains("more than 100 field lines");
        String line = "X-Big: " + "b".repeat(3_000) + "\r\n";
        assertThat(refusalOfLineByLine(line.repeat(3))).contains("larger than 8192 bytes in all");
        assertThat(refusalOfLineByLine(fields(99))).as("Host and 99 more: decoded").isNull();
    }

    /** The refusal's message when the head is fed one line per read, or null when it was decoded. */
    private static String refusalOfLineByLine(String fieldLines) {
        RequestDeadline deadline = new RequestDeadline(Duration.ofSeconds(60));
        EmbeddedChannel channel = new EmbeddedChannel(deadline, new RequestDecoder(deadline, 1 << 20));
        try {
            List<String> lines = new ArrayList<>(List.of("GET /small HTTP/1.1\r\n", "Host: x\r\n"));
            for (String l : fieldLines.split("(?<=\r\n)")) {
                lines.add(l);
            }
            lines.add("\r\n");
            for (String l : lines) {
                channel.writeInbound(Unpooled.copiedBuffer(l, StandardCharsets.US_ASCII));
                HttpRequest decoded = channel.readInbound();
                if (decoded != null) {
                    if (decoded.decoderResult().isSuccess()) {
                        return null;
                    }
                    Throwable cause = decoded.decoderResult().cause();
                    assertThat(cause).isInstanceOf(HttpError.class);
                    assertThat(((HttpError) cause).status().code()).isEqualTo(431);
                    return cause.getMessage();
                }
            }
            throw new AssertionError("the head was neither decoded nor refused");
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aTrailerSectionHasTheSameBounds() throws Exception {
        String chunked = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n";
        RawHttp.Response many = exchange(chunked + fields(101) + "\r\n");
        assertThat(many.status()).isEqualTo(431);
        assertThat(many.body()).contains("request trailer has more than 100 field lines");
        assertThat(saysClose(many)).isTrue();
        RawHttp.Response longLine = exchange(chunked + "X-Sum: " + "s".repeat(5_000));
        assertThat(longLine.status()).as("refused before the line ends").isEqualTo(431);
        assertThat(longLine.body()).contains("trailer field line (X-Sum) is longer than 4096 bytes");
        assertThat(exchange(chunked + fields(100) + "\r\n").status()).as("100 trailer fields, ignored").isEqualTo(200);
    }

    /**
     * The worst a client of one address does with heads: fills its every place with a head held
     * open at the most field lines it may have, and opens more. Counted, not timed: the connections
     * past the address's cap are refused as they open (each once), the held heads are no bigger than
     * the bound (the next line closes each), and once they close their places serve again.
     */
    @Test
    void heldHeadsAtTheirBoundsStayCountedAndBounded() throws Exception {
        int cap = 8;
        List<RawHttp> held = new ArrayList<>();
        try {
            for (int i = 0; i < cap; i++) {
                RawHttp raw = new RawHttp(url);
                held.add(raw);
                // answered first, so it holds its place before the next opens, then a head left open at the bound
                assertThat(raw.send(HEAD + "\r\n").read().status()).isEqualTo(200);
                raw.send(HEAD + fields(99));
            }
            for (int i = 0; i < cap; i++) {
                try (RawHttp over = new RawHttp(url)) {
                    RawHttp.Response r = over.send(HEAD + "\r\n").read();
                    assertThat(r.status()).as("a connection past the address's cap").isEqualTo(503);
                }
            }
            assertThat(count("rhizome_connections_refused_total\\{cap=\"address\",?\\}")).isEqualTo(cap);
            for (RawHttp raw : held) {
                RawHttp.Response r = raw.send("X-One-More: 1\r\n").read();
                assertThat(r.status()).as("the 101st line of a held head").isEqualTo(431);
                assertThat(raw.closedByServer()).isTrue();
            }
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    count("rhizome_connections_closed_total\\{reason=\"refused\",?\\}") == cap);
            // their places are given back as the closes complete on the event loop
            await().atMost(Duration.ofSeconds(30)).until(() -> exchange(HEAD + "\r\n").status() == 200);
        } finally {
            for (RawHttp raw : held) {
                raw.close();
            }
        }
    }

    private double count(String series) {
        Matcher m = Pattern.compile(series + " ([0-9.E]+)").matcher(metrics.scrape());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
