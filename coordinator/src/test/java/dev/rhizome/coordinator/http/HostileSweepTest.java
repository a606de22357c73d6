package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What a sweep of every route with a hostile client found (raw sockets on loopback, a real
 * coordinator): a second spelling of a route through percent-escapes, requests without a Host,
 * transfer codings read as something they are not, 400 where 414 and 431 are meant, a deep
 * pipeline dropped unanswered, announced hosts that are not dialable, claims for kinds that do
 * not exist. Each now gets its own status and a message that names it, and stores nothing.
 */
class HostileSweepTest extends SeededCoordinatorTest {
    private CoordinatorStats stats() {
        return h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build();
    }

    @Test
    void percentEscapesInThePathAreNoSecondSpellingOfARoute() throws Exception {
        // "/v1%2Fstats" was /v1/stats: a proxy in front that filters paths (say, /v1/bans from
        // outside) would not have recognised "/v1%2Fbans" and the coordinator would have served it.
        for (String target : new String[] {"/v1%2Fstats", "/v1/stat%73", "/v1/%2e%2e/healthz", "/v1%2fbans"}) {
            RawHttp.Response r = exchange("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertThat(r.status()).as(target).isEqualTo(404);
            assertThat(r.body()).as(target).contains("no route " + target).contains("not decoded");
        }
        byte[] body = h.api.sign(h.operator, KeyBan.newBuilder()
                .setKey(ByteString.copyFrom(new byte[32])).setBannedBy(h.operator.publicId().toByteString())
                .setBannedMs(h.clock.millis()).setReason("x").build()).toByteArray();
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send(RawHttp.bytes("POST", "/v1%2Fbans", "application/x-protobuf", body)).read();
            assertThat(r.status()).isEqualTo(404);
        }
        // The query is still decoded, and the absolute form (RFC 9112, 3.2.2) reaches its route.
        assertThat(exchange("GET /v1/results?direction=lr%2Dsweep HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
        RawHttp.Response absolute = exchange("GET http://coordinator.example/v1/stats HTTP/1.1\r\n"
                + "Host: coordinator.example\r\n\r\n");
        assertThat(absolute.status()).isEqualTo(200);
        assertThat(absolute.body()).contains("\"seeds\": \"1\"");
    }

    @Test
    void anHttp11RequestNeedsExactlyOneHost() throws Exception {
        // RFC 9112, 3.2: a server must answer 400 to an HTTP/1.1 request with no Host or several
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send("GET /healthz HTTP/1.1\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("must have a Host header");
            assertThat(raw.closedByServer()).isTrue();
        }
        RawHttp.Response two = exchange("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
        assertThat(two.status()).isEqualTo(400);
        assertThat(two.body()).contains("2 Host headers");
        assertThat(exchange("GET /healthz HTTP/1.0\r\n\r\n").status()).as("HTTP/1.0 has no Host").isEqualTo(200);
        // a port is at most 65535: twenty digits matched the pattern and passed
        for (String host : new String[] {"x:99999999999999999999", "x:65536", "[::1]:100000"}) {
            RawHttp.Response r = exchange("GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
            assertThat(r.status()).as(host).isEqualTo(400);
            assertThat(r.body()).as(host).contains("is not a host and optional port");
        }
        for (String host : new String[] {"x:65535", "x:", "[::1]", "[::1]:8080", "127.0.0.1:08080"}) {
            assertThat(exchange("GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n").status()).as(host).isEqualTo(200);
        }
    }

    @Test
    void anHttp10ClientThatAsksToKeepItsConnectionIsToldItIsKept() throws Exception {
        // RFC 9112, 9.3: an HTTP/1.0 connection persists only when the reply says keep-alive. The
        // reply said nothing (HTTP/1.1's default), so the client dropped a connection the server kept.
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            for (int i = 0; i < 2; i++) {
                RawHttp.Response r = raw.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
                assertThat(r.body()).isEqualTo("ok");
                assertThat(r.headers().toLowerCase()).contains("connection: keep-alive\r\n");
            }
            RawHttp.Response refused = raw.send("GET /v1/results?limit=0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                    .read();
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.headers().toLowerCase()).as("a refusal that keeps the connection says so too")
                    .contains("connection: keep-alive\r\n");
            RawHttp.Response last = raw.send("GET /healthz HTTP/1.0\r\n\r\n").read();
            assertThat(last.headers().toLowerCase()).contains("connection: close\r\n");
            assertThat(raw.closedByServer()).isTrue();
        }
        // HTTP/1.1 keeps its default: no Connection header unless the connection closes.
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            assertThat(raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").read().headers().toLowerCase())
                    .doesNotContain("connection:");
        }
    }

    @Test
    void targetsInTheFormsOfOtherMethodsAreAnsweredForWhatTheyAre() throws Exception {
        // "OPTIONS *" asks about the server as a whole (RFC 9110, 9.3.7): it was "404 no route *"
        RawHttp.Response options = exchange("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(options.status()).isEqualTo(200);
        assertThat(options.headers().toLowerCase()).contains("allow: get, head, post\r\n");
        // CONNECT asks a proxy for a tunnel: it was "404 no route example.com:443"
        RawHttp.Response connect = exchange("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        assertThat(connect.status()).isEqualTo(405);
        assertThat(connect.headers().toLowerCase()).contains("allow: get, head, post\r\n");
        assertThat(connect.body()).contains("not a proxy");
        // "*" is for OPTIONS only, and a path starts with "/" (RFC 9112, 3.2): both were 404
        for (String head : new String[] {"GET * HTTP/1.1", "GET healthz HTTP/1.1", "POST example.com:443 HTTP/1.1"}) {
            RawHttp.Response r = exchange(head + "\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
            assertThat(r.status()).as(head).isEqualTo(400);
            assertThat(r.body()).as(head).contains("request target");
        }
        assertThat(exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
    }

    @Test
    void obsoleteLineFoldingIs400NotAHeaderReadAsOneLine() throws Exception {
        // "Transfer-Encoding:" then " chunked" on a line of its own was unfolded into "chunked" and
        // the body read as chunks (a 401 for the envelope inside), where a proxy in front that does
        // not unfold saw no transfer coding: two readers, two framings of one byte stream.
        String folded = "POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding:\r\n chunked"
                + "\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
        for (String request : new String[] {folded, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n",
                "\r\n\u0000\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(request).read();
                assertThat(r.status()).as(request).isEqualTo(400);
                // a NUL before the request line is refused first, as no empty line (RequestLine)
                assertThat(r.body()).as(request).containsAnyOf("obsolete line folding", "starts with byte 0x00");
                assertThat(raw.closedByServer()).as(request).isTrue();
            }
        }
        assertThat(stats().getRejectedSignatures()).as("no body was read as chunks").isZero();
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            // behind a request answered as usual, in the same write; and across two writes
            raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a b\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n");
            raw.send(" b\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
            RawHttp.Response r = raw.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("obsolete line folding");
        }
    }

    @Test
    void aHostThatIsNoHostAndPortIs400() throws Exception {
        // RFC 9112, 3.2: a Host with an invalid value must be answered 400; "a b" and "a/b" were served
        for (String host : new String[] {"a b", "a/b", "user@a", "[::1", "a:b", "a:80:90"}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send("GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n").read();
                assertThat(r.status()).as(host).isEqualTo(400);
                assertThat(r.body()).as(host).contains("Host header").contains("not a host");
                assertThat(raw.closedByServer()).as(host).isTrue();
            }
        }
        for (String host : new String[] {"", "coordinator.example", "coordinator.example:8080", "127.0.0.1:1", "[::1]:8080",
                "[fe80::1%25eth0]", "xn--bcher-kva.example", "under_score.local"}) {
            assertThat(exchange("GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n").status()).as(host).isEqualTo(200);
        }
    }

    @Test
    void aTransferCodingOtherThanChunkedIs501AndNothingIsRead() throws Exception {
        // "gzip, chunked": the body was taken as the plain bytes of an envelope (401 for a version 0)
        RawHttp.Response r = exchange("POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
        assertThat(r.status()).isEqualTo(501);
        assertThat(r.body()).contains("Transfer-Encoding gzip, chunked is not supported");
        assertThat(stats().getRejectedSignatures()).isZero();
        // chunked alone, with extensions, is read as before
        RawHttp.Response chunked = exchange("POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n2;ext=1\r\n{}\r\n0\r\n\r\n");
        assertThat(chunked.status()).as(chunked.body()).isEqualTo(400);
        assertThat(chunked.body()).contains("no version");
    }

    @Test
    void aLongRequestLineIs414AndLargeHeadersAre431() throws Exception {
        RawHttp.Response line = exchange("GET /v1/results?direction=" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(line.status()).isEqualTo(414);
        assertThat(line.body()).contains("TOO_LARGE").contains("request line is longer than 4096 bytes");
        RawHttp.Response headers = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n" + ("X-Big: " + "b".repeat(3000) + "\r\n")
                .repeat(3) + "\r\n");
        assertThat(headers.status()).isEqualTo(431);
        assertThat(headers.body()).contains("larger than 8192 bytes");
        // a chunk-size line too long is a malformed body, not a long target
        RawHttp.Response chunk = exchange("POST /v1/claim HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;"
                + "e".repeat(5000) + "\r\n{}\r\n0\r\n\r\n");
        assertThat(chunk.status()).isEqualTo(400);
    }

    @Test
    void aDeepPipelineIsAnsweredUpToTheCapThenRefusedByName() throws Exception {
        // 1,000 tiny requests in one write: the codec closed the connection after the next reply,
        // some 50 answered and the rest of what it had read dropped without a word.
        URI uri = URI.create(h.coordinator.url());
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1000)
                    .getBytes(StandardCharsets.ISO_8859_1));
            String replies = readToEnd(socket.getInputStream());
            Matcher statuses = Pattern.compile("HTTP/1.1 (\\d{3})").matcher(replies);
            int ok = 0;
            int last = 0;
            while (statuses.find()) {
                assertThat(last).as("nothing after the refusal").isNotEqualTo(503);
                last = Integer.parseInt(statuses.group(1));
                if (last == 200) {
                    ok++;
                }
            }
            assertThat(ok).isGreaterThanOrEqualTo(MessageRules.MAX_PIPELINED_AHEAD).isLessThan(1000);
            assertThat(last).isEqualTo(503);
            assertThat(replies).endsWith("resend the rest on a new connection\"\n}\n")
                    .contains("more than " + MessageRules.MAX_PIPELINED_AHEAD + " requests were sent");
        }
        assertThat(h.api.get("/healthz").status()).as("others are served").isEqualTo(200);
    }

    private static String readToEnd(InputStream in) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                all.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the connection was not closed; read " + all.size() + " bytes", e);
        }
        return all.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aBodyCutShortByAHalfCloseIs400NotASilentClose() throws Exception {
        // headers cut short were answered 400; a body cut short closed the connection unanswered
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a");
            raw.shutdownOutput();
            assertThat(raw.read().status()).as("what came whole is answered").isEqualTo(200);
            RawHttp.Response cut = raw.read();
            assertThat(cut.status()).isEqualTo(400);
            assertThat(cut.body()).contains("request cut short");
            assertThat(raw.closedByServer()).isTrue();
        }
        assertThat(stats().getRejectedSignatures()).isZero();
    }

    @Test
    void aRequestThatStartsInTheSameReadAsTheOneBeforeItHasADeadlineToo() throws Exception {
        // The deadline ran from a read's first byte and stopped at the first whole request: the start
        // of a second request in that read had none, and waited for the idle timeout (120 s), not the
        // request timeout, before its connection closed (and a half-close after it went unanswered).
        h.close();
        h = new Harness(dataDir.resolve("short"), Fixtures.manifest(1, 0.01), ApiClient.Format.JSON,
                CoordinatorLimits.defaults()
                        .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(120)));
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nPOST /v1/claim HTTP/1.1\r\nHost: x\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
            RawHttp.Response timedOut = raw.read();  // within RawHttp's 20 s, far less than the idle timeout
            assertThat(timedOut.status()).isEqualTo(408);
            assertThat(timedOut.body()).contains("not received within 2 s");
            assertThat(raw.closedByServer()).isTrue();
        }
    }

    @Test
    void aSignedPayloadThatDoesNotParseIs400NotAForgery() {
        // groups nested past protobuf's limit, signed by the key the claim names: the signature is
        // good, the body is not a record (it was 401 and counted as a rejected signature)
        Identity node = Identity.generate();
        byte[] groups = new byte[2000];
        for (int i = 0; i < 1000; i++) {
            groups[i] = 0x3b;  // field 7, start group
            groups[1999 - i] = 0x3c;  // field 7, end group
        }
        byte[] claim = ClaimRequest.newBuilder().setNode(node.publicId().toByteString()).setHardwareClass("cpu")
                .setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).build().toByteArray();
        ByteString payload = ByteString.copyFrom(claim).concat(ByteString.copyFrom(groups));
        SignedEnvelope envelope = SignedEnvelope.newBuilder().setVersion(Envelopes.VERSION).setType("rhizome.v1.ClaimRequest")
                .setPayload(payload).setSigner(node.publicId().toByteString()).setNetwork(h.api.network())
                .setSignature(ByteString.copyFrom(node.sign(Envelopes.signedBytes(h.api.network(),
                        "rhizome.v1.ClaimRequest", payload))))
                .build();
        ApiClient.Response r = h.api.post("/v1/claim", envelope);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error().getMessage()).contains("signed payload is not a valid rhizome.v1.ClaimRequest");
        assertThat(stats().getRejectedSignatures()).isZero();
    }

    @Test
    void jsonBodiesAreReadOneWayOnly() throws Exception {
        // a key given twice: the last was kept, where a proxy or auditor reading the same body may keep the first
        ApiClient.Response twice = h.api.postRaw("/v1/claim", "application/json",
                "{\"version\": 1, \"version\": 2}".getBytes(StandardCharsets.UTF_8));
        assertThat(twice.status()).isEqualTo(400);
        assertThat(twice.error().getMessage()).contains("key \"version\" is given twice");
        // not UTF-8: the message was the decoder's "Input length = 1"
        ApiClient.Response latin = h.api.postRaw("/v1/claim", "application/json", new byte[] {'{', '"', (byte) 0xff, '"'});
        assertThat(latin.status()).isEqualTo(400);
        assertThat(latin.error().getMessage()).contains("the body is not UTF-8");
        assertThat(stats().getRejectedSignatures()).isZero();
    }

    @Test
    void anAcceptThatRefusesProtobufGetsJson() throws Exception {
        // "q=0" is "not acceptable": it was answered in protobuf because the header mentioned it
        RawHttp.Response r = exchange("GET /nope HTTP/1.1\r\nHost: x\r\n"
                + "Accept: application/x-protobuf;q=0, application/json\r\n\r\n");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.headers().toLowerCase()).contains("content-type: application/json");
        assertThat(BodyFormat.wantsProtobuf("application/x-protobuf")).isTrue();
        assertThat(BodyFormat.wantsProtobuf("application/json;q=0.5, application/x-protobuf")).isTrue();
        assertThat(BodyFormat.wantsProtobuf("application/x-protobuf;q=0.1, application/json")).isFalse();
        assertThat(BodyFormat.wantsProtobuf("*/*")).isFalse();
        assertThat(BodyFormat.wantsProtobuf(null)).isFalse();
    }

    @Test
    void announcedHostsMustBeDialable() {
        Identity node = Identity.generate();
        for (String host : new String[] {"127.0.0.1:80", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255"}) {
            ApiClient.Response r = h.api.signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                    .setNode(node.publicId().toByteString()).setHost(host).setPort(7000).setHardwareClass("cpu")
                    .setTimeMs(h.clock.millis()).build());
            assertThat(r.status()).as(host).isEqualTo(400);
            assertThat(r.error().getMessage()).as(host).contains("host must be").contains(host);
        }
        assertThat(stats().getNodes()).isZero();
    }

    @Test
    void aClaimForAKindThatDoesNotExistIs400AndSpendsNoNonce() {
        Identity node = Identity.generate();
        ByteString nonce = Fixtures.nonce();
        ClaimRequest honest = ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).setNonce(nonce).build();
        // kinds = [99]: it used to find "no open evaluation" and keep the nonce for the replay window
        byte[] payload = ByteString.copyFrom(honest.toByteArray()).concat(ByteString.copyFrom(new byte[] {0x18, 99}))
                .toByteArray();
        ByteString bytes = ByteString.copyFrom(payload);
        SignedEnvelope bogus = SignedEnvelope.newBuilder().setVersion(Envelopes.VERSION).setType("rhizome.v1.ClaimRequest")
                .setPayload(bytes).setSigner(node.publicId().toByteString()).setNetwork(h.api.network())
                .setSignature(ByteString.copyFrom(node.sign(Envelopes.signedBytes(h.api.network(),
                        "rhizome.v1.ClaimRequest", bytes))))
                .build();
        ApiClient.Response refused = h.api.post("/v1/claim", bogus);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error().getMessage()).contains("kinds must be EVALUATE or EXPLORE, got 99");
        ApiClient.Response claimed = h.api.signAndPost("/v1/claim", node, honest);
        assertThat(claimed.status()).as(claimed.text()).isEqualTo(200);
        assertThat(claimed.parse(ClaimResponse.newBuilder()).hasUnit()).isTrue();
    }
}
