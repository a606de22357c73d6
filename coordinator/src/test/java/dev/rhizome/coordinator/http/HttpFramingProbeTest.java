package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.RawHttp;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A hostile client's framing on a raw socket (round 16): "Expect: 100-continue" on a request its
 * head already refuses, pipelined requests whose second is malformed, HTTP/1.0 keep-alive, chunk
 * sizes past every integer, Content-Length with Transfer-Encoding, a Host missing or repeated.
 * Each is answered with one status and a JSON error naming the problem, in request order, and
 * nothing after a request whose framing is in doubt is read.
 */
class HttpFramingProbeTest extends SeededCoordinatorTest {
    private static final String HOST = "Host: x\r\n";

    /** The head of a POST that asks to be told to go on before it sends {@code length} bytes. */
    private static String expecting(String method, String path, String contentType, int length) {
        return method + " " + path + " HTTP/1.1\r\n" + HOST + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Expect: 100-continue\r\nContent-Length: " + length + "\r\n\r\n";
    }

    @Test
    void anExpectationIsAnsweredWithTheRefusalItsHeadEarnsNotAHundredContinue() throws Exception {
        // Each was "100 Continue": the client sent its body for nothing, or, sending none, held the
        // connection until the request deadline, and only then heard the 404, 405, 415 or 501.
        String[][] refused = {
            {"POST", "/v1/nope", "application/json", "404", "no route /v1/nope"},
            {"POST", "/v1/stats", "application/json", "405", "/v1/stats does not accept POST"},
            {"POST", "/v1/claim", "text/plain", "415", "Content-Type text/plain is not supported"},
            {"POST", "/v1/claim", "application/json; charset=utf-16", "415", "charset utf-16 is not supported"},
            {"BREW", "/v1/claim", "application/json", "501", "method BREW is not one this server knows"},
        };
        for (String[] c : refused) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(expecting(c[0], c[1], c[2], 900_000)).read();
                assertThat(r.status()).as(String.join(" ", c)).isEqualTo(Integer.parseInt(c[3]));
                assertThat(r.body()).as(String.join(" ", c)).contains(c[4]);
                assertThat(raw.closedByServer()).as("the body it might send anyway is not read").isTrue();
            }
        }
        // A head that may be served is told to go on, and its body is then read and judged.
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            assertThat(raw.send(expecting("POST", "/v1/claim", "application/json", 2)).readHeadOnly().status()).isEqualTo(100);
            RawHttp.Response r = raw.send("{}").read();
            assertThat(r.status()).as(r.body()).isEqualTo(400);
            assertThat(r.body()).contains("no version");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderUpToTheFirstMalformedOne() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send("GET /healthz HTTP/1.1\r\n" + HOST + "\r\nGET /v1/stats HTTP/1.1\r\n" + HOST + "\r\n"
                    + "POST /v1/claim HTTP/1.1\r\n" + HOST + "Content-Length: -1\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\n" + HOST + "\r\n");
            assertThat(raw.read().body()).isEqualTo("ok");
            assertThat(raw.read().body()).contains("\"seeds\"");
            RawHttp.Response bad = raw.read();
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.body()).contains("Content-Length value is not a number: -1");
            assertThat(raw.closedByServer()).as("the request after it is not read").isTrue();
        }
    }

    @Test
    void http10KeepsTheConnectionOnlyWhenAskedTo() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n");
            RawHttp.Response kept = raw.read();
            assertThat(kept.headers().toLowerCase()).contains("connection: keep-alive");
            RawHttp.Response last = raw.read();
            assertThat(last.body()).isEqualTo("ok");
            assertThat(last.headers().toLowerCase()).contains("connection: close");
            assertThat(raw.closedByServer()).isTrue();
        }
    }

    @Test
    void aChunkSizePastEveryIntegerOrSignedIsRefusedBeforeItsDataIsRead() throws Exception {
        String head = "POST /v1/announce HTTP/1.1\r\n" + HOST + "Content-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n";
        for (String size : new String[] {"FFFFFFFFFFFFFFFFFFFFFFFF", "7fffffff", "80000000", "ffffffff", "100000002"}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(head + size + "\r\nab").read();
                assertThat(r.status()).as(size).isEqualTo(413);
                assertThat(r.body()).as(size).contains("request body exceeds 1048576 bytes");
            }
        }
        for (String[] c : new String[][] {{"-2", "\\\"-\\\" in a chunk size"}, {"0x2", "\\\"x\\\" in a chunk size"},
            {"+2", "\\\"+\\\" in a chunk size"}, {"", "a chunk-size line has no size"}}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(head + c[0] + "\r\n{}\r\n0\r\n\r\n").read();
                assertThat(r.status()).as(c[0]).isEqualTo(400);
                assertThat(r.body()).as(c[0]).contains(c[1]);
                assertThat(raw.closedByServer()).as(c[0]).isTrue();
            }
        }
    }

    @Test
    void aSmuggledRequestIsNeverAnswered() throws Exception {
        String smuggled = "GET /healthz HTTP/1.1\r\n" + HOST + "\r\n";
        String[][] cases = {
            {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", "Content-Length are not allowed"},
            {"Content-Length: 2\r\nContent-Length: 2\r\n", "{}", "Multiple Content-Length values"},
            {"Content-Length: 2\r\nContent-Length: 40\r\n", "{}", "Multiple Content-Length values"},
        };
        for (String[] c : cases) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send("POST /v1/announce HTTP/1.1\r\n" + HOST + c[0] + "\r\n" + c[1] + smuggled).read();
                assertThat(r.status()).as(c[0]).isEqualTo(400);
                assertThat(r.body()).as(c[0]).contains(c[2]);
                assertThat(raw.closedByServer()).as("the GET after it is not answered").isTrue();
            }
        }
    }

    @Test
    void aHostMissingOrRepeatedIsRefusedAndAnEmptyOneServed() throws Exception {
        assertThat(exchange("GET /healthz HTTP/1.1\r\n\r\n").body()).contains("must have a Host header");
        assertThat(exchange("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").body()).contains("2 Host headers");
        // RFC 9112 3.2: a target with no authority is sent with an empty Host
        assertThat(exchange("GET /healthz HTTP/1.1\r\nHost:\r\n\r\n").body()).isEqualTo("ok");
        RawHttp.Response nul = exchange("GET /v1/st\0ats HTTP/1.1\r\n" + HOST + "\r\n");
        assertThat(nul.status()).isEqualTo(400);
        assertThat(nul.body()).contains("character U+0000 at offset 6");
        byte[] utf8 = ("GET /v1/st\u00e9ts HTTP/1.1\r\n" + HOST + "\r\n").getBytes(StandardCharsets.UTF_8);
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send(utf8).read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("a target is visible US-ASCII");
        }
    }
}
