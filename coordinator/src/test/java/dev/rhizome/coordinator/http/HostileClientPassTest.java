package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.HostileCaseRunner.BEHIND;

import dev.rhizome.coordinator.support.HostileCaseRunner;
import dev.rhizome.coordinator.support.HostileCaseRunner.Case;
import dev.rhizome.coordinator.support.RawHttp;
import java.time.Duration;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * Round 34's pass as a hostile client makes it, raw sockets against a coordinator on loopback: the
 * Host field missing, doubled or not a host; the absolute form naming another host than Host (served:
 * RFC 9112 3.2.2 has the server ignore Host there); expectations
 * other than 100-continue, and 100-continue spelt as a list; escapes of NUL, "/", overlong UTF-8
 * and broken escapes in the path and the query; a request line, a head and its field count past
 * their bounds; CONNECT, TRACE and methods HTTP does not define; the query's empty, nameless,
 * valueless and repeated elements; a body with no length. Each is followed in the same write by a
 * second request. For each: its status and a message naming the problem; every refusal counted in
 * {@code rhizome_refusals_total} under its Error code before the client has its answer; where the
 * connection can no longer be trusted it closes and the request behind is never answered, else that
 * request is answered as its own; and a neighbour is served after it.
 *
 * <p>Slow heads and bodies are {@link SlowRequestsTest}'s; bodies cut short by a half-close,
 * {@link HostileClientsTest}'s; the framing shapes (CL.TE, folding, bare CR and LF, trailers),
 * {@link HostileWirePassTest}'s.
 */
class HostileClientPassTest extends SeededCoordinatorTest {
    private static final String GET_STATS = "GET /v1/stats HTTP/1.1\r\nHost: x\r\n";
    private static final String POST_JSON = "POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(20);

    private static final List<Case> CASES = List.of(
            // Host
            new Case("no Host in HTTP/1.1", "GET /v1/stats HTTP/1.1\r\n\r\n", 400, "must have a Host header", true),
            new Case("two Hosts", GET_STATS + "Host: y\r\n\r\n", 400, "2 Host headers; send exactly one", true),
            new Case("two equal Hosts", GET_STATS + "Host: x\r\n\r\n", 400, "2 Host headers", true),
            new Case("a Host with userinfo", "GET /v1/stats HTTP/1.1\r\nHost: user@x\r\n\r\n", 400,
                    "is not a host and optional port", true),
            new Case("a Host with a port past 65535", "GET /v1/stats HTTP/1.1\r\nHost: x:65536\r\n\r\n", 400,
                    "is not a host and optional port", true),
            new Case("the absolute form naming another host", "GET http://elsewhere.example:81/v1/stats HTTP/1.1\r\n"
                    + "Host: x\r\n\r\n", 200, "\"seeds\"", false),
            new Case("the absolute form with no Host", "GET http://x/v1/stats HTTP/1.1\r\n\r\n", 400,
                    "must have a Host header", true),
            // Expect: one reading of its list, the aggregator's and the head's rule
            new Case("Expect other than 100-continue", GET_STATS + "Expect: teapot\r\n\r\n", 417, "Expect: teapot", true),
            new Case("100-continue then another expectation", GET_STATS + "Expect: 100-continue, x\r\n\r\n", 417,
                    "100-continue, x", true),
            new Case("an empty Expect (an empty list)", GET_STATS + "Expect: \r\n\r\n", 200, "\"seeds\"", false),
            new Case("100-continue with an empty element", GET_STATS + "Expect: 100-continue,\r\n\r\n", 200, "\"seeds\"",
                    false),
            new Case("100-continue twice", GET_STATS + "Expect: 100-continue, 100-Continue\r\n\r\n", 200, "\"seeds\"",
                    false),
            new Case("a body after 100-continue with an empty element", POST_JSON + "Content-Length: 2\r\n"
                    + "Expect: ,100-continue\r\n\r\n{}", 400, "no version", false),
            // escapes
            new Case("an escaped NUL in the path", "GET /v1/stats%00 HTTP/1.1\r\nHost: x\r\n\r\n", 404,
                    "escapes are not decoded", false),
            new Case("an escaped NUL in a query value", "GET /v1/results?direction=%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                    "query parameter direction", false),
            new Case("an escaped NUL in a query name", "GET /v1/results?dir%00=a HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                    "is not one this route knows", false),
            new Case("an escaped slash in the path", "GET /v1%2Fstats HTTP/1.1\r\nHost: x\r\n\r\n", 404,
                    "no route /v1%2Fstats", false),
            new Case("an escaped slash in a query value", "GET /v1/results?direction=a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n",
                    404, "a/b", false),
            new Case("an overlong NUL in the path", "GET /v1/stats%C0%80 HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                    "are not UTF-8", true),
            new Case("an overlong NUL in the query", "GET /v1/results?direction=%C0%80 HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                    "are not UTF-8", true),
            new Case("an escape that is no hex", "GET /v1/st%ZZats HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                    "bad percent-escape at offset 6", true),
            new Case("an escape cut short at the end", "GET /v1/results?direction=%4 HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                    "bad percent-escape", true),
            new Case("a lone percent in a value", "GET /v1/results?direction=100%&limit=5 HTTP/1.1\r\nHost: x\r\n\r\n",
                    400, "bad percent-escape", true),
            // bounds
            new Case("a request target past the line's bound", "GET /v1/results?direction=" + "a".repeat(5_000)
                    + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request line is longer than 4096 bytes", true),
            new Case("101 header fields", GET_STATS + "X-A: 1\r\n".repeat(100) + "\r\n", 431, "more than 100 field lines",
                    true),
            new Case("a header field of 5,000 bytes", GET_STATS + "X-Big: " + "b".repeat(5_000) + "\r\n\r\n", 431,
                    "(X-Big) is longer than 4096 bytes", true),
            // the request line: exactly method SP target SP HTTP/DIGIT.DIGIT
            new Case("a space after the version", "GET /v1/stats HTTP/1.1 \r\nHost: x\r\n\r\n", 400,
                    "the request line has 3 spaces", true),
            new Case("a space inside the target", "GET /v1/stats x HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                    "the request line has 3 spaces", true),
            new Case("a version's minor of two digits", "GET /v1/stats HTTP/1.01\r\nHost: x\r\n\r\n", 400,
                    "version HTTP/1.01 is not HTTP/DIGIT.DIGIT", true),
            new Case("a version's major with a leading zero", "GET /v1/stats HTTP/01.1\r\nHost: x\r\n\r\n", 400,
                    "is not HTTP/DIGIT.DIGIT", true),
            new Case("a version with a tail", "GET /v1/stats HTTP/1.1x\r\nHost: x\r\n\r\n", 400,
                    "is not HTTP/DIGIT.DIGIT", true),
            new Case("HTTP/1.2, served as 1.1", "GET /v1/stats HTTP/1.2\r\nHost: x\r\n\r\n", 200, "\"seeds\"", false),
            new Case("a field name with a character no token has", GET_STATS + "X(Y): 1\r\n\r\n", 400, "X(Y)", true),
            new Case("a field name with a byte past US-ASCII", GET_STATS + "X\u00e9: 1\r\n\r\n", 400, "", true),
            // methods
            new Case("CONNECT", "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", 405, "not a proxy", true),
            new Case("TRACE, which must echo nothing", "TRACE /v1/stats HTTP/1.1\r\nHost: x\r\nX-Secret: sekrit\r\n\r\n",
                    405, "/v1/stats does not accept TRACE", false),
            new Case("a method HTTP does not define", "BREW /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n", 501,
                    "method BREW is not one this server knows", false),
            new Case("a method in lower case", "get /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n", 501, "method get", false),
            // with a body: 501 from the head, as with Expect (HostileRequestsOnBothStoresTest), the body unread
            new Case("an unknown method with a body", "BREW /v1/stats HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                    501, "method BREW is not one this server knows", true),
            // the query's elements: one rule each (docs/api.md)
            new Case("empty elements", "GET /v1/results?&&limit=1& HTTP/1.1\r\nHost: x\r\n\r\n", 200, "", false),
            new Case("an element with no name", "GET /v1/results?=x HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                    "a query parameter has no name (\"=x\")", false),
            new Case("an element with no value", "GET /v1/results?limit HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                    "query parameter limit has no value", false),
            new Case("a name given twice", "GET /v1/results?limit=1&limit=2 HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                    "query parameter limit is given 2 times", false),
            new Case("a name given twice, once escaped", "GET /v1/results?limit=1&%6Cimit=1 HTTP/1.1\r\nHost: x\r\n\r\n",
                    400, "query parameter limit is given 2 times", false),
            // framing
            new Case("a body with no length", POST_JSON + "\r\n{}", 411, "neither Content-Length nor Transfer-Encoding",
                    true));

    @Test
    void eachShapeIsRefusedByNameCountedAndClosedWhenTheStreamCannotBeTrusted() throws Exception {
        SoftAssertions soft = new SoftAssertions();
        HostileCaseRunner.finalAnswer(h.coordinator.url(), "[hostile pass]").run(CASES, soft, (c, r) ->
                soft.assertThat(r.body()).as(c.name() + ": nothing echoed").doesNotContain("sekrit"));
        soft.assertAll();
    }

    /** A client that sends more body than it declared: the rest is the next request, read by its own rules. */
    @Test
    void bytesPastTheDeclaredBodyAreReadAsTheNextRequest() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(POST_JSON + "Content-Length: 2\r\n\r\n{}{\"more\": 1}\r\n" + BEHIND);
            RawHttp.Response first = raw.read();
            soft(first.status() == 400 && first.body().contains("no version"), "the declared body, read: " + first);
            RawHttp.Response surplus = raw.read();
            soft(surplus.status() == 400 && surplus.body().contains("malformed HTTP request"),
                    "the surplus, refused as a request line: " + surplus);
            soft(raw.closedWithin(CLOSE_WAIT), "closed after it, the request behind unanswered");
        }
        soft(exchange(BEHIND).body().equals("ok"), "a neighbour is served");
    }

    /** A client that half-closes after whole requests is answered each, then the connection closes. */
    @Test
    void aHalfClosedClientIsAnsweredWhatItSentThenClosed() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(GET_STATS + "\r\n" + "GET /v1/nowhere HTTP/1.1\r\nHost: x\r\n\r\n" + BEHIND);
            raw.shutdownOutput();
            soft(raw.read().status() == 200, "the first");
            soft(raw.read().status() == 404, "the refusal, kept in order");
            soft(raw.read().body().equals("ok"), "the last");
            soft(raw.closedWithin(CLOSE_WAIT), "then closed");
        }
    }

    private static void soft(boolean holds, String what) {
        if (!holds) {
            throw new AssertionError(what);
        }
    }
}
