package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A hostile client's third pass, raw bytes on loopback: JSON bodies the parser must refuse (deep,
 * huge, repeated, not UTF-8, not numbers), a signed payload of another type, targets that walk out
 * of a route or dress one up, and clients that ask for large answers and never read them. Each is
 * answered with its status and an Error code, no body names the coordinator's internals, and no
 * answer may be kept by a cache in front.
 */
class HostileBodiesProbeTest {
    /** What an answer must never show: a stack trace, SQL, a file path, a class of the coordinator. */
    private static final List<String> LEAKS = List.of("Exception", "\tat ", "dev.rhizome.coordinator", "SELECT ",
            "INSERT ", "sqlite", "SQLITE", "postgres", "/tmp/", "/home/", ".java", "incident");

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json()
            .limits(CoordinatorLimits.defaults().withReplyStallTimeout(Duration.ofSeconds(2)))
            .into(started -> h = started);

    private RawHttp.Response send(byte[] request) throws IOException {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(request).read();
        }
    }

    private RawHttp.Response postJson(byte[] body) throws IOException {
        return send(RawHttp.bytes("POST", "/v1/claim", "application/json", body));
    }

    private static void assertAnswered(String what, RawHttp.Response answer, int status, String code, String mentions) {
        assertThat(answer.status()).as("%s: %s", what, answer.body()).isEqualTo(status);
        assertThat(answer.body()).as(what).contains("\"code\": \"" + code + "\"").contains(mentions);
        assertThat(answer.headers().toLowerCase(Locale.ROOT)).as(what).contains("cache-control: no-store");
        for (String leak : LEAKS) {
            assertThat(answer.body()).as("%s names no internals", what).doesNotContain(leak);
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void jsonBodiesAHostileParserMeetsAreRefusedByName() throws Exception {
        Map<String, byte[]> bodies = new LinkedHashMap<>();
        bodies.put("10,000 nested arrays", utf8("[".repeat(10_000) + "]".repeat(10_000)));
        bodies.put("10,000 nested objects", utf8("{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000)));
        bodies.put("nesting in a field", utf8("{\"payload\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}"));
        bodies.put("a number of 100,000 digits", utf8("{\"version\":1" + "0".repeat(100_000) + "}"));
        bodies.put("an exponent past every integer", utf8("{\"version\":1e999999999}"));
        bodies.put("a negative version", utf8("{\"version\":-2}"));
        bodies.put("a key twice", utf8("{\"version\":2,\"version\":3}"));
        bodies.put("bytes that are not UTF-8", new byte[] {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xC0,
            (byte) 0xAF, (byte) 0xFF, '"', '}'});
        bodies.put("a surrogate's raw bytes", new byte[] {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xED,
            (byte) 0xA0, (byte) 0x80, '"', '}'});
        bodies.put("NaN", utf8("{\"version\":NaN}"));
        bodies.put("Infinity", utf8("{\"version\":Infinity}"));
        bodies.put("-Infinity", utf8("{\"version\":-Infinity}"));
        bodies.put("a number for the payload's bytes", utf8("{\"version\":2,\"payload\":7}"));
        bodies.put("an object for the type", utf8("{\"version\":2,\"type\":{}}"));
        bodies.put("an array for the version", utf8("{\"version\":[2]}"));
        bodies.put("a field no envelope has", utf8("{\"zzz\":1}"));
        bodies.put("two documents", utf8("{} {}"));
        bodies.put("null", utf8("null"));
        bodies.put("a comment", utf8("/**/{}"));
        for (Map.Entry<String, byte[]> body : bodies.entrySet()) {
            assertAnswered(body.getKey(), postJson(body.getValue()), 400, "BAD_REQUEST", "JSON");
        }
        // A lone surrogate in an escape is refused naming the field (it read as text and failed as a
        // type until round 35): no UTF-8 carries it.
        assertAnswered("a lone surrogate's escape", postJson(utf8("{\"version\":2,\"type\":\"\\ud800\"}")), 400,
                "BAD_REQUEST", "field $.type holds a lone surrogate");
        assertCoordinatorUntouched();
    }

    @Test
    void aSignedPayloadOfAnotherTypeIsRefusedAndStoresNothing() throws Exception {
        // A paper's bytes, signed by its author as a claim: the type line is among the signed bytes,
        // so this is the signer's own claim, and read as one its fields are nonsense.
        Identity author = Identity.generate();
        Paper paper = Paper.newBuilder().setAuthor(author.publicId().toByteString()).setDirection(Harness.DIRECTION)
                .setTitle("t").setBodyMarkdown("b").setCreatedMs(h.clock.millis()).build();
        String type = ClaimRequest.getDescriptor().getFullName();
        String network = h.api.network();
        ByteString payload = paper.toByteString();
        SignedEnvelope mislabelled = SignedEnvelope.newBuilder().setVersion(Envelopes.VERSION).setType(type)
                .setPayload(payload).setSigner(author.publicId().toByteString()).setNetwork(network)
                .setSignature(ByteString.copyFrom(author.sign(Envelopes.signedBytes(network, type, payload)))).build();
        RawHttp.Response answer = postJson(utf8(Json.print(mislabelled)));
        assertThat(answer.status()).as(answer.body()).isBetween(400, 499);
        assertAnswered("a paper signed as a claim", answer, answer.status(),
                answer.status() == 401 ? "BAD_SIGNATURE" : "BAD_REQUEST", "");
        // and a paper's envelope, as signed, on the claim route: its type is not the route's
        RawHttp.Response wrongRoute = postJson(utf8(Json.print(h.api.sign(author, paper))));
        assertAnswered("a paper on the claim route", wrongRoute, 400, "BAD_REQUEST", "rhizome.v1.Paper");
        assertCoordinatorUntouched();
    }

    @Test
    void targetsThatWalkOutOfARouteOrDressOneUpAreNotFoundOrRefusedByName() throws Exception {
        for (String path : List.of("/v1/experiment/..%2F", "/v1/experiment/../v1/stats", "/v1/stats/", "/V1/stats",
                "/v1/Stats", "/v1/stats%2F", "/v1//stats", "/v1/./stats", "/v1/stats;x", "/dashboard/../v1/stats",
                "/dashboard/%2e%2e/v1/stats", "/dashboard/app.js/", "/healthz/", "/%2e%2e/%2e%2e/etc/passwd")) {
            assertAnswered(path, send(RawHttp.bytes("GET", path, null, new byte[0])), 404, "NOT_FOUND", "no route");
        }
        Map<String, String> queries = new LinkedHashMap<>();
        queries.put("/v1/experiment?commit=..%2F..%2Fetc%2Fpasswd", "commit");
        queries.put("/v1/experiment?commit=a&co%6Dmit=b", "commit");
        queries.put("/v1/experiment?commit=%00", "commit");
        queries.put("/v1/experiment?commit=%C0%AF", "UTF-8");
        queries.put("/v1/experiments?direction=%ED%A0%80", "UTF-8");
        queries.put("/v1/experiments?%64irection=x&direction=y", "direction");
        queries.put("/v1/experiments?direction%3Dx=1", "direction\\u003dx");
        queries.put("/v1/experiments?limit=5&LIMIT=6", "LIMIT");
        queries.put("/v1/units?state=../", "state");
        queries.put("/v1/audit?after=../../", "after");
        queries.put("/v1/trials?direction=%E2%80%AE", "direction");
        for (Map.Entry<String, String> query : queries.entrySet()) {
            assertAnswered(query.getKey(), send(RawHttp.bytes("GET", query.getKey(), null, new byte[0])), 400,
                    "BAD_REQUEST", query.getValue());
        }
    }

    @Test
    void noAnswerMayBeKeptByACacheButTheDashboardsOwnFiles() throws Exception {
        for (String path : List.of("/v1/stats", "/v1/directions", "/v1/units", "/v1/dashboard", "/metrics",
                "/healthz", "/v1/nope")) {
            RawHttp.Response answer = send(RawHttp.bytes("GET", path, null, new byte[0]));
            assertThat(answer.headers().toLowerCase(Locale.ROOT)).as(path).contains("cache-control: no-store");
        }
        RawHttp.Response claim = send(RawHttp.bytes("POST", "/v1/claim", "application/json",
                utf8(Json.print(h.api.sign(Identity.generate(), ClaimRequest.newBuilder()
                        .setNode(ByteString.copyFrom(new byte[32])).build())))));
        assertThat(claim.headers().toLowerCase(Locale.ROOT)).contains("cache-control: no-store");
        for (String asset : List.of("/", "/dashboard/app.js", "/dashboard/uPlot.min.css")) {
            RawHttp.Response answer = send(RawHttp.bytes("GET", asset, null, new byte[0]));
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.headers().toLowerCase(Locale.ROOT)).as(asset).contains("cache-control: no-cache");
        }
    }

    @Test
    void slowReadersOfMetricsAndTheDashboardAreClosedAndHoldNothingFromOthers() throws Exception {
        URI url = URI.create(h.coordinator.url());
        // 128 pipelined requests (the most a connection may send ahead), some 9 MB of answers: more
        // than the kernel's socket buffers hold, so the server's writes back up behind the reader
        byte[] pipelined = ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/dashboard HTTP/1.1\r\nHost: x\r\n\r\n")
                .repeat(64).getBytes(StandardCharsets.ISO_8859_1);
        List<Socket> stalled = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Socket socket = new Socket();
                socket.setReceiveBufferSize(4096);
                socket.connect(new InetSocketAddress(url.getHost(), url.getPort()));
                socket.getOutputStream().write(pipelined);
                socket.getOutputStream().flush();
                stalled.add(socket);
            }
            // meanwhile everyone else is answered
            for (String path : List.of("/metrics", "/v1/dashboard", "/healthz")) {
                assertThat(send(RawHttp.bytes("GET", path, null, new byte[0])).status()).as(path).isEqualTo(200);
            }
            // Once a reply stall (2 s here) passes, each is closed: what it reads then ends. One
            // whose answers all fit in the kernel's buffers held nothing of the server's: it reads
            // all 128 and its connection waits, open, for more.
            Thread.sleep(6_000);
            int closed = 0;
            for (Socket socket : stalled) {
                socket.setSoTimeout(10_000);
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                if (readToTheEnd(socket.getInputStream(), got)) {
                    closed++;
                } else {
                    assertThat(got.toString(StandardCharsets.ISO_8859_1).split("HTTP/1.1 200 OK", -1))
                            .as("a reader still connected got every answer").hasSize(129);
                }
            }
            assertThat(closed).as("readers whose answers backed up into the server").isPositive();
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
        assertThat(send(RawHttp.bytes("GET", "/metrics", null, new byte[0])).status()).isEqualTo(200);
    }

    /** Reads into {@code got} until the end of the stream or a reset (true), or a read times out (false). */
    private static boolean readToTheEnd(InputStream in, ByteArrayOutputStream got) throws IOException {
        byte[] buffer = new byte[65536];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                got.write(buffer, 0, n);
            }
            return true;
        } catch (java.net.SocketTimeoutException open) {
            return false;
        } catch (java.net.SocketException reset) {
            return true;  // closed with requests it had not read: a reset
        }
    }

    private void assertCoordinatorUntouched() throws IOException {
        assertThat(send(RawHttp.bytes("GET", "/healthz", null, new byte[0])).status()).isEqualTo(200);
        CoordinatorStats stats = h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build();
        assertThat(stats.getExperiments() + stats.getResults() + stats.getPapers()).isZero();
    }
}
