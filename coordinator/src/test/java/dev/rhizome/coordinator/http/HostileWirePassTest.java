package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.support.RawHttp;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * One pass over the shapes a hostile client (or a proxy that reads bytes another way) sends, each
 * on its own connection and followed in the same write by a second request, the smuggled one: a
 * request whose framing is in doubt (Content-Length with Transfer-Encoding, two Content-Lengths, a
 * folded header line, a bare CR or LF in the head, a chunk size past every integer, a trailer that
 * belongs in the head), a target in another form (absolute, authority, {@code *}), a head past its
 * bounds (one huge field, a thousand small ones), escapes that are not UTF-8 or overlong, and the
 * visible characters RFC 3986 excludes. For each: the status and a message naming the problem;
 * where the coordinator closes, the reply says {@code Connection: close}, the smuggled request is
 * never answered, and the close is counted in
 * {@code rhizome_connections_closed_total{reason="refused"}}; where it keeps the connection, the
 * smuggled request is answered as its own (the two agree on where the first ended). Afterwards
 * nothing was stored and the coordinator serves as before.
 *
 * <p>The reply side's slowloris (a client that never reads) is {@link ConnectionClosesWalkTest}'s
 * {@code write_stall}; a request that arrives too slowly, {@link SlowRequestsTest}'s.
 */
class HostileWirePassTest extends SeededCoordinatorTest {
    /** Sent after each case's bytes: answered only when the connection was kept and framing agreed. */
    private static final String SMUGGLED = "GET /v1/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final String POST_JSON = "POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";

    /** A request's bytes, the status it gets, words its answer holds, and whether the connection then closes. */
    private record Case(String name, String request, int status, String says, boolean closes) {
    }

    private static final List<Case> CASES = List.of(
            new Case("Content-Length with Transfer-Encoding", POST_JSON + "Content-Length: 4\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "Content-Length", true),
            new Case("Transfer-Encoding before Content-Length", POST_JSON + "Transfer-Encoding: chunked\r\n"
                    + "Content-Length: 4\r\n\r\n0\r\n\r\n", 400, "Content-Length", true),
            new Case("two equal Content-Lengths", POST_JSON + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
                    400, "Multiple Content-Length values", true),
            new Case("two Content-Lengths that differ", POST_JSON + "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
                    400, "Multiple Content-Length values", true),
            new Case("a Content-Length list", POST_JSON + "Content-Length: 2, 2\r\n\r\n{}", 400, "Content-Length", true),
            new Case("a folded header line", "GET /v1/stats HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n b\r\n\r\n",
                    400, "obsolete line folding", true),
            new Case("a bare CR inside a header line", "GET /v1/stats HTTP/1.1\r\nHost: x\r\nX-Note: a\rContent-Length: 9"
                    + "\r\n\r\n", 400, "bare CR", true),
            new Case("a head of bare LFs", "GET /v1/stats HTTP/1.1\nHost: x\n\n", 400, "bare LF", true),
            new Case("a header line ended by a bare LF", "GET /v1/stats HTTP/1.1\r\nHost: x\r\nX-Note: a\n"
                    + "Content-Length: 9\r\n\r\n", 400, "bare LF", true),
            new Case("a chunk with extensions", POST_JSON + "Transfer-Encoding: chunked\r\n\r\n2;ext=1;q=\"a b\"\r\n{}\r\n"
                    + "0;last\r\n\r\n", 400, "", false),
            new Case("a chunked body with a trailer field", POST_JSON + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n"
                    + "0\r\nX-Checksum: 1\r\n\r\n", 400, "", false),
            new Case("a trailer that frames", POST_JSON + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n"
                    + "0\r\nContent-Length: 5\r\n\r\n", 400, "trailer", true),
            new Case("a chunk size past every integer", POST_JSON + "Transfer-Encoding: chunked\r\n\r\n"
                    + "1" + "0".repeat(40) + "\r\n{}", 413, "exceeds", true),
            new Case("a negative chunk size", POST_JSON + "Transfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n",
                    400, "chunk", true),
            new Case("the absolute form", "GET http://coordinator.example:8080/v1/stats HTTP/1.1\r\n"
                    + "Host: Coordinator.Example:8080\r\n\r\n",
                    200, "\"seeds\"", false),
            new Case("the absolute form of another scheme", "GET ftp://coordinator.example/v1/stats HTTP/1.1\r\n"
                    + "Host: x\r\n\r\n", 400, "request target", true),
            new Case("the absolute form with userinfo", "GET http://user@coordinator.example/v1/stats HTTP/1.1\r\n"
                    + "Host: x\r\n\r\n", 400, "request target", true),
            new Case("the authority form", "CONNECT coordinator.example:443 HTTP/1.1\r\nHost: x\r\n\r\n",
                    405, "not a proxy", true),
            new Case("the asterisk form", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 200, "", false),
            new Case("the asterisk form of GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, "request target", true),
            new Case("the authority form of GET", "GET coordinator.example:443 HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                    "is not a path", true),
            new Case("one huge header field", "GET /v1/stats HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(9_000)
                    + "\r\n\r\n", 431, "(X-Big) is longer than 4096 bytes", true),
            new Case("three large header fields", "GET /v1/stats HTTP/1.1\r\nHost: x\r\n" + ("X-Big: " + "a".repeat(3_000)
                    + "\r\n").repeat(3) + "\r\n", 431, "larger than 8192 bytes", true),
            // fields are bounded by their count too: two thousand tiny ones fit in 8 KB
            new Case("two thousand header fields", "GET /v1/stats HTTP/1.1\r\nHost: x\r\n" + "X: \r\n".repeat(2_000)
                    + "\r\n", 431, "more than 100 field lines", true),
            new Case("TRACE in the asterisk form", "TRACE * HTTP/1.1\r\nHost: x\r\n\r\n", 400, "for OPTIONS", true),
            new Case("an HTTP/1.0 body framed by chunks", "POST /v1/claim HTTP/1.0\r\nHost: x\r\nContent-Type: "
                    + "application/json\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                    400, "only allowed in HTTP/1.1", true),
            new Case("a second expectation on a line of its own", POST_JSON + "Content-Length: 2\r\nExpect: 100-continue\r\n"
                    + "Expect: 200-ok\r\n\r\n{}", 417, "200-ok", true),
            new Case("HTTP/1.0 kept alive", "GET /v1/stats HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200, "\"seeds\"",
                    false),
            new Case("a field name with a space", "GET /v1/stats HTTP/1.1\r\nHost: x\r\nX Y: 1\r\n\r\n", 400, "", true),
            new Case("a NUL in a field not read", "GET /v1/stats HTTP/1.1\r\nHost: x\r\nX-Note: a\u0000b\r\n\r\n", 400,
                    "a control character (U+0000, NUL) at byte 1 of the value of header X-Note", true),
            new Case("an ESC in a field read", POST_JSON.replace("application/json", "application/json; a=\u001b")
                    + "Content-Length: 2\r\n\r\n{}", 400, "(U+001B) at byte 20 of the value of header Content-Type", true),
            new Case("a DEL in a field's name", "GET /v1/stats HTTP/1.1\r\nHost: x\r\nX\u007fNote: ab\r\n\r\n", 400,
                    "(U+007F) at byte 1 of a header name", true),
            new Case("a NUL in a trailer field", POST_JSON + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n"
                    + "0\r\nX-Sum: a\u0000b\r\n\r\n", 400, "(U+0000, NUL) in the value of trailer field X-Sum", true),
            new Case("chunked on two lines", POST_JSON + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "2\r\n{}\r\n0\r\n\r\n", 400, "more than once", true),
            new Case("chunked then gzip on two lines", POST_JSON + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip"
                    + "\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400, "chunked", true),
            new Case("Transfer-Encoding identity", POST_JSON + "Transfer-Encoding: identity\r\n\r\n{}", 400, "chunked", true),
            new Case("an empty Transfer-Encoding with Content-Length", POST_JSON + "Transfer-Encoding: \r\n"
                    + "Content-Length: 2\r\n\r\n{}", 400, "", true),
            new Case("chunked in mixed case", POST_JSON + "Transfer-Encoding: ChUnKeD\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                    400, "no version", false),
            new Case("OPTIONS of a whole server in absolute form", "OPTIONS http://coordinator.example:8080 HTTP/1.1\r\n"
                    + "Host: coordinator.example:8080\r\n\r\n", 200, "", false),
            new Case("OPTIONS of / in absolute form", "OPTIONS http://coordinator.example/ HTTP/1.1\r\n"
                    + "Host: coordinator.example:80\r\n\r\n",
                    405, "/ does not accept OPTIONS", false),
            new Case("a chunk extension of 4,000 bytes", POST_JSON + "Transfer-Encoding: chunked\r\n\r\n2;e=" + "x".repeat(4_000)
                    + "\r\n{}\r\n0\r\n\r\n", 400, "", false),
            new Case("an escape that is not UTF-8", "GET /v1/results?direction=%FF HTTP/1.1\r\nHost: x\r\n\r\n",
                    400, "percent-escape", true),
            new Case("an overlong escape of '/'", "GET /v1/results?direction=%C0%AF HTTP/1.1\r\nHost: x\r\n\r\n",
                    400, "percent-escape", true),
            new Case("an escaped surrogate", "GET /v1/results?direction=%ED%A0%80 HTTP/1.1\r\nHost: x\r\n\r\n",
                    400, "percent-escape", true),
            new Case("an overlong escape in the path", "GET /v1%C0%AFstats HTTP/1.1\r\nHost: x\r\n\r\n",
                    400, "percent-escape", true),
            new Case("a backslash for a slash", "GET /v1\\stats HTTP/1.1\r\nHost: x\r\n\r\n", 404, "no route", false),
            new Case("RFC 3986's excluded characters in a value", "GET /v1/results?direction=a\"<>\\{|}^`b HTTP/1.1\r\n"
                    + "Host: x\r\n\r\n", 404, "unknown direction a", false));

    @Test
    void eachHostileShapeIsRefusedByNameOrServedAndNeverSmuggled() throws Exception {
        String statsBefore = exchange("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").body();
        SoftAssertions soft = new SoftAssertions();
        for (Case c : CASES) {
            long refusedBefore = closed("refused");
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                raw.send(c.request() + SMUGGLED);
                RawHttp.Response r = raw.read();
                String answer = r.status() + " " + r.body();
                System.out.println("[wire pass] " + c.name() + " -> " + answer.replace("\n", " "));
                soft.assertThat(r.status()).as(c.name() + ": " + answer).isEqualTo(c.status());
                soft.assertThat(r.body()).as(c.name()).contains(c.says());
                boolean saysClose = r.headers().toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n");
                soft.assertThat(saysClose).as(c.name() + " says Connection: close").isEqualTo(c.closes());
                if (c.closes()) {
                    soft.assertThat(raw.closedByServer()).as(c.name() + ": closed, the smuggled request unanswered").isTrue();
                    try {
                        // counted when the close completes on the event loop, a moment after the client sees it
                        await().atMost(Duration.ofSeconds(20)).until(() -> closed("refused") == refusedBefore + 1);
                    } catch (ConditionTimeoutException e) {
                        // reported below, with the other cases' findings
                    }
                    soft.assertThat(closed("refused")).as(c.name() + ": counted under refused, once").isEqualTo(refusedBefore + 1);
                } else {
                    RawHttp.Response next = raw.read();
                    soft.assertThat(next.status()).as(c.name() + ": the next request on the connection, as its own")
                            .isEqualTo(404);
                    soft.assertThat(next.body()).as(c.name()).contains("no route /v1/smuggled");
                }
            }
        }
        // raw, the characters RFC 3986 excludes are the same value as their escapes: one query, one answer
        RawHttp.Response raw = exchange("GET /v1/results?direction=a\"<>\\{|}^`b HTTP/1.1\r\nHost: x\r\n\r\n");
        RawHttp.Response escaped = exchange("GET /v1/results?direction=a%22%3C%3E%5C%7B%7C%7D%5E%60b HTTP/1.1\r\n"
                + "Host: x\r\n\r\n");
        soft.assertThat(raw.status()).isEqualTo(escaped.status());
        soft.assertThat(raw.body()).isEqualTo(escaped.body());
        soft.assertThat(exchange("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").body()).as("nothing was stored")
                .isEqualTo(statsBefore);
        soft.assertAll();
    }

    /**
     * An absolute-form OPTIONS with an empty path and no query is how a proxy passes on "OPTIONS *"
     * (RFC 9112, 3.2.4): the server's methods, as for "*"; with a path it asks about that resource.
     */
    @Test
    void anAbsoluteFormOptionsWithNoPathAsksAboutTheWholeServer() throws Exception {
        RawHttp.Response asterisk = exchange("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
        for (String target : new String[] {"http://coordinator.example", "HTTPS://coordinator.example:443", "http://[::1]:80"}) {
            String host = target.substring(target.indexOf("://") + 3);
            RawHttp.Response r = exchange("OPTIONS " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
            assertThat(r.status()).as(target).isEqualTo(200);
            assertThat(r.headers()).as(target).containsIgnoringCase("\r\nallow: GET, HEAD, POST\r\n");
            assertThat(r.body()).as(target).isEqualTo(asterisk.body());
        }
        RawHttp.Response withQuery = exchange("OPTIONS http://coordinator.example?x=1 HTTP/1.1\r\n"
                + "Host: coordinator.example\r\n\r\n");
        assertThat(withQuery.status()).as("a query names a resource, /").isEqualTo(405);
        assertThat(exchange("GET http://coordinator.example HTTP/1.1\r\nHost: coordinator.example\r\n\r\n").headers())
                .as("any other method's empty path is /, the dashboard").contains("text/html");
    }

    /** HEAD is GET without the body: the next request on the connection is read where the head ended. */
    @Test
    void aHeadAnswerCarriesNoBodyAndTheConnectionReadsOn() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response get = raw.send("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").read();
            raw.send("HEAD /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED);
            RawHttp.Response head = raw.readHeadOnly();
            assertThat(head.status()).isEqualTo(200);
            assertThat(contentLength(head)).as("HEAD's Content-Length is GET's").isEqualTo(contentLength(get));
            RawHttp.Response next = raw.read();
            assertThat(next.status()).isEqualTo(404);
            assertThat(next.body()).contains("no route /v1/smuggled");
        }
    }

    private static String contentLength(RawHttp.Response r) {
        Matcher m = Pattern.compile("(?i)\r\ncontent-length: *(\\d+)\r\n").matcher(r.headers());
        assertThat(m.find()).as(r.headers()).isTrue();
        return m.group(1);
    }

    /** Connections the coordinator closed for {@code reason}, from its /metrics. */
    private long closed(String reason) throws Exception {
        String scrape = exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").body();
        Matcher m = Pattern.compile("rhizome_connections_closed_total\\{reason=\"" + reason + "\",?\\} ([0-9.E]+)")
                .matcher(scrape);
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }
}
