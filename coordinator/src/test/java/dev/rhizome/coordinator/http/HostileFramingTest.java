package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * What one request means is decided one way, on a raw socket: a chunked body's trailer section,
 * a target in absolute form, a "+" in a query and bytes outside ASCII in a header each have one
 * documented reading (docs/api.md), and what has none is refused with a message naming it.
 */
class HostileFramingTest extends SeededCoordinatorTest {
    /** A signed announcement, chunked, ended by {@code trailer} (lines with their CRLFs) and the empty line. */
    private byte[] chunkedAnnouncement(Identity node, long nowMs, String trailer) {
        byte[] body = h.api.sign(node, NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                .setHost("127.0.0.1").setPort(7000).setHardwareClass("cpu:x86_64").setTimeMs(nowMs).build()).toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("POST /v1/announce HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(body.length) + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        out.writeBytes(("\r\n0\r\n" + trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    private boolean announced(Identity node) {
        return h.api.get("/v1/nodes").text().contains(Base64.getEncoder().encodeToString(node.publicId().toByteString().toByteArray()));
    }

    @Test
    void aTrailerFieldThatFramesOrDescribesTheRequestIsRefusedAndOthersAreIgnored() throws Exception {
        // Netty dropped a Content-Length or Transfer-Encoding sent as a trailer without a word, and joined a
        // folded trailer line: a reader that merges trailers into the head would have read another request.
        for (String trailer : new String[] {"Content-Length: 5\r\n", "Transfer-Encoding: chunked\r\n",
            "Content-Type: application/json\r\n", "X-Checksum: 1\r\n folded\r\n"}) {
            Identity node = Identity.generate();
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(chunkedAnnouncement(node, h.clock.millis(), trailer)).read();
                assertThat(r.status()).as(trailer).isEqualTo(400);
                assertThat(r.body()).as(trailer).contains(trailer.startsWith("X-")
                        ? "obsolete line folding" : "trailer field " + trailer.substring(0, trailer.indexOf(':')));
                assertThat(raw.closedByServer()).as("nothing after it is read").isTrue();
            }
            assertThat(announced(node)).as("nothing of a refused request is stored").isFalse();
        }
        // Any other trailer field is read past and ignored, and the next request on the connection is answered.
        Identity node = Identity.generate();
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(chunkedAnnouncement(node, h.clock.millis(), "X-Checksum: 1\r\nX-Note: caf\u00c3\u00a9\r\n"));
            raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
            assertThat(raw.read().body()).isEqualTo("ok");
        }
        assertThat(announced(node)).isTrue();
    }

    @Test
    void aTransferCodingIsJudgedAtTheHeadBeforeAnyBodyIsRead() throws Exception {
        // A GET framed by chunked read an empty body here, where a reader ignoring a GET's framing reads
        // "0" and an empty line as the start of the next request.
        RawHttp.Response get = exchange("GET /v1/stats HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assertThat(get.status()).isEqualTo(400);
        assertThat(get.body()).contains("GET takes no body").contains("framed by Transfer-Encoding chunked");
        // A coding this server does not have is refused on the head alone: no body was sent, none is awaited.
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send("POST /v1/announce HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked"
                    + "\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(501);
            assertThat(r.body()).contains("Transfer-Encoding identity, chunked is not supported");
            assertThat(raw.closedByServer()).isTrue();
        }
        // Empty list elements are nothing (RFC 9110, 5.6.1): "chunked," is chunked; it was "chunked is not supported".
        Identity node = Identity.generate();
        byte[] listed = new String(chunkedAnnouncement(node, h.clock.millis(), ""), StandardCharsets.ISO_8859_1)
                .replace("Transfer-Encoding: chunked", "Transfer-Encoding: chunked,").getBytes(StandardCharsets.ISO_8859_1);
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            assertThat(raw.send(listed).read().status()).isEqualTo(200);
        }
    }

    @Test
    void aTargetInAbsoluteFormIsItsPathWhenItsAuthorityIsAHost() throws Exception {
        RawHttp.Response stats = exchange("GET HTTP://Coordinator.Example:8080/v1/stats HTTP/1.1\r\n"
                + "Host: coordinator.example:08080\r\n\r\n");
        assertThat(stats.status()).isEqualTo(200);
        assertThat(stats.body()).contains("\"seeds\": \"1\"");
        assertThat(exchange("GET http://[::1]/healthz HTTP/1.1\r\nHost: [::1]:80\r\n\r\n").body()).isEqualTo("ok");
        // "http://host?x=/v1/stats" was the path /v1/stats: the path is what follows the authority, here none
        RawHttp.Response query = exchange("GET http://a?limit=5/v1/stats HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(query.status()).isEqualTo(200);
        assertThat(query.headers()).as("the dashboard, /, which ignores its query").contains("text/html");
        String[][] refused = {{"http:///v1/stats", "names no host"}, {"http://:80/v1/stats", "names no host"},
            {"http://user@a/v1/stats", "userinfo"}, {"http://a:99999/v1/stats", "is not a host and optional port"},
            {"ftp://a/v1/stats", "absolute form is an http or https URI, not ftp"}};
        for (String[] c : refused) {
            RawHttp.Response r = exchange("GET " + c[0] + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(r.status()).as(c[0]).isEqualTo(400);
            assertThat(r.body()).as(c[0]).contains(c[1]);
        }
    }

    @Test
    void aPlusInAQueryIsASpaceAsTheClientsFormEncodingWritesIt() throws Exception {
        // CoordinatorClient encodes with URLEncoder (a space as "+", a plus as "%2B"); the server reads the same way
        RawHttp.Response plus = exchange("GET /v1/leaderboard?direction=lr+sweep HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(plus.status()).isEqualTo(404);
        assertThat(plus.body()).contains("lr sweep");
        RawHttp.Response limit = exchange("GET /v1/results?limit=+5 HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(limit.status()).isEqualTo(400);
        assertThat(limit.body()).contains("limit").contains("\\u0027 5\\u0027");
        assertThat(exchange("GET /v1/results?limit=%2B5 HTTP/1.1\r\nHost: x\r\n\r\n").body()).contains("\\u0027+5\\u0027");
        assertThat(exchange("GET /v1/leaderboard?direction=lr%2Dsweep HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
    }

    @Test
    void aHeaderTheServerReadsIsAsciiAndAnyOtherIsOpaque() throws Exception {
        // Netty read each byte as Latin-1: a UTF-8 "é" in Content-Type came back as "Ã©" in a 415, one in
        // Connection kept the connection open, one in Expect was a 417 after which the body was awaited.
        String[] read = {"Content-Type: application/json\u00c3\u00a9", "Connection: clos\u00e9", "Expect: 100-continu\u00e9",
            "Accept: application/x-protobuf\u00ff", "X-Forwarded-For: 10.0.0.\u00b9"};
        for (String field : read) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send("POST /v1/announce HTTP/1.1\r\nHost: x\r\n" + field
                        + "\r\nContent-Length: 2\r\n\r\n{}").read();
                assertThat(r.status()).as(field).isEqualTo(400);
                assertThat(r.body()).as(field).contains("header " + field.substring(0, field.indexOf(':')) + " has byte 0x")
                        .contains("are US-ASCII");
                assertThat(raw.closedByServer()).as(field).isTrue();
            }
        }
        RawHttp.Response opaque = exchange("GET /v1/stats HTTP/1.1\r\nHost: x\r\nX-Note: caf\u00c3\u00a9\r\n"
                + "Cookie: n=\u00e9\r\n\r\n");
        assertThat(opaque.status()).isEqualTo(200);
    }

    @Test
    void aBodyIsReadOnlyAsWhatItsContentTypeNames() throws Exception {
        // An empty Content-Type (or parameters alone) was read as JSON, as if there were none
        for (String type : new String[] {"", ";charset=utf-8"}) {
            RawHttp.Response r = exchange("POST /v1/announce HTTP/1.1\r\nHost: x\r\nContent-Type: " + type
                    + "\r\nContent-Length: 2\r\n\r\n{}");
            assertThat(r.status()).as(type).isEqualTo(415);
            assertThat(r.body()).as(type).contains("names no media type");
        }
        // "version": [1] was version 1 to protobuf's parser, an array to any other reader
        String body = "{\"version\": [1], \"type\": \"rhizome.v1.NodeAnnouncement\"}";
        RawHttp.Response array = exchange("POST /v1/announce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        assertThat(array.status()).isEqualTo(400);
        assertThat(array.body()).contains("field $.version takes one value");
    }

    @Test
    void aWrongMethodIsAnsweredWithTheMethodsTheAllowHeaderNames() throws Exception {
        RawHttp.Response r = exchange("DELETE /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.headers().toLowerCase()).contains("allow: get, head\r\n");
        assertThat(r.body()).contains("it accepts GET, HEAD");
    }
}
