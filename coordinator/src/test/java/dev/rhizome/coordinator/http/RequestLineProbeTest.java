package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.CodedOutputStream;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.identity.Identity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A hostile client's nineteenth pass, raw bytes on loopback: request lines a proxy in front reads
 * otherwise than Netty did (runs of whitespace, tabs, a bare CR, a vertical tab or form feed
 * between the parts, a space before the method, {@code http/1.1}), a framing field spelt with
 * underscores, and what was found to hold: the other target forms, {@code h2c} and HTTP/2's
 * preface, an {@code Expect} other than 100-continue, HEAD, OPTIONS and TRACE on every route,
 * protobuf bodies with bytes after the envelope, unknown or repeated fields, huge varints and deep
 * nesting, a claim signed for another network, and hundreds of connections from one address.
 * Each is answered with its status and a message naming the problem, nothing is leased, and an
 * honest client from another address is served throughout.
 */
class RequestLineProbeTest {
    private static final String PROTOBUF = "application/x-protobuf";
    private static final List<String> ROUTES = List.of("/", "/healthz", "/metrics", "/dashboard/app.js",
            "/v1/dashboard", "/v1/seeds", "/v1/directions", "/v1/directions/close", "/v1/directions/requeue", "/v1/bans", "/v1/claim",
            "/v1/leases/renew", "/v1/explore-done", "/v1/experiments", "/v1/experiment", "/v1/results", "/v1/papers",
            "/v1/announce", "/v1/peers", "/v1/nodes", "/v1/leaderboard", "/v1/units", "/v1/stats", "/v1/audit",
            "/v1/trials", "/v1/volunteers", "/v1/adoptions");

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json().into(started -> h = started);

    private RawHttp.Response send(String request) throws IOException {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(request).read();
        }
    }

    private RawHttp.Response send(byte[] request) throws IOException {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(request).read();
        }
    }

    /** An honest client on another loopback address is answered, within a wait sized for a loaded machine. */
    private void honestClientServed() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            try (RawHttp honest = new RawHttp(h.coordinator.url(), "127.0.0.9")) {
                assertThat(honest.send("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
            }
        });
    }

    @Test
    void requestLinesAProxyWouldReadOtherwiseAreRefusedByName() throws Exception {
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put("GET  /v1/stats HTTP/1.1", "two spaces in a row");
        lines.put("GET /v1/stats  HTTP/1.1", "two spaces in a row");
        lines.put("GET\t/v1/stats\tHTTP/1.1", "a tab");
        lines.put("GET\u000b/v1/stats HTTP/1.1", "a vertical tab");
        lines.put("GET\u000c/v1/stats HTTP/1.1", "a form feed");
        lines.put("GET\r/v1/stats HTTP/1.1", "a bare CR");
        lines.put(" GET /v1/stats HTTP/1.1", "starts with a space");
        lines.put("\tGET /v1/stats HTTP/1.1", "starts with a tab");
        lines.put("GET /v1/stats http/1.1", "named HTTP, in capitals");
        lines.put("GET /v1/stats Http/1.1", "named HTTP, in capitals");
        for (Map.Entry<String, String> line : lines.entrySet()) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                // a claim pipelined behind it must not be read as a request of its own
                RawHttp.Response answer = raw.send(line.getKey() + "\r\nHost: x\r\n\r\n"
                        + RawHttp.request("POST", "/v1/claim", "application/json", new byte[2]) + "{}").read();
                assertThat(answer.status()).as("%s: %s", line.getKey(), answer.body()).isEqualTo(400);
                assertThat(answer.body()).as(line.getKey()).contains("BAD_REQUEST").contains(line.getValue());
                assertThat(raw.closedByServer()).as("%s: nothing after it is read", line.getKey()).isTrue();
            }
            honestClientServed();
        }
        // what stays served: empty lines before a request (RFC 9112, 2.2), and the request read after one refused
        assertThat(send("\r\n\r\nGET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\nGET  /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).as("the first of a pipeline").isEqualTo(200);
            assertThat(raw.read().status()).as("the malformed second").isEqualTo(400);
        }
    }

    @Test
    void framingFieldsSpeltWithUnderscoresAreRefused() throws Exception {
        for (String field : List.of("Content_Length: 2", "Transfer_Encoding: chunked", "X_Forwarded_For: 10.0.0.1")) {
            RawHttp.Response answer = send("POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + field + "\r\n\r\n{}");
            assertThat(answer.status()).as("%s: %s", field, answer.body()).isEqualTo(400);
            assertThat(answer.body()).as(field).contains(field.substring(0, field.indexOf(':'))).contains("hyphen");
        }
        assertThat(send("GET /v1/stats HTTP/1.1\r\nHost: x\r\nX_Trace_Id: 7\r\n\r\n").status())
                .as("another field with underscores is the client's own").isEqualTo(200);
        honestClientServed();
    }

    @Test
    void otherTargetFormsUpgradesAndExpectationsAreAnsweredForWhatTheyAre() throws Exception {
        RawHttp.Response authority = send("GET 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(authority.status()).isEqualTo(400);
        assertThat(authority.body()).contains("not a path");
        assertThat(send("CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n").status()).isEqualTo(405);
        RawHttp.Response preface = send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assertThat(preface.status()).isEqualTo(505);
        assertThat(preface.body()).contains("HTTP/1.1");
        // h2c and websocket upgrades are ignored: answered as HTTP/1.1 (RFC 9110, 7.8 allows it)
        RawHttp.Response h2c = send("GET /v1/stats HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
        assertThat(h2c.status()).isEqualTo(200);
        assertThat(h2c.headers()).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("upgrade");
        for (String expect : List.of("foo", "100-continue, foo", "200-ok")) {
            RawHttp.Response answer = send(RawHttp.request("POST", "/v1/claim", "application/json", new byte[2])
                    .replace("Host: test\r\n", "Host: test\r\nExpect: " + expect + "\r\n") + "{}");
            assertThat(answer.status()).as(expect).isEqualTo(417);
            assertThat(answer.body()).as(expect).contains("100-continue");
        }
        honestClientServed();
    }

    @Test
    void headOptionsAndTraceOnEveryRouteAreAnsweredWithoutABodyOrAreNotAllowed() throws Exception {
        for (String path : ROUTES) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                // a HEAD's answer has no body: the GET after it on the connection is read as the next answer
                raw.send("HEAD " + path + " HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
                int head = raw.readHeadOnly().status();
                assertThat(head).as("HEAD %s", path).isIn(200, 400, 405);
                RawHttp.Response next = raw.read();
                assertThat(next.status()).as("the GET after HEAD %s", path).isEqualTo(200);
                assertThat(next.body()).as("after HEAD %s", path).isEqualTo("ok");
            }
            for (String method : List.of("OPTIONS", "TRACE")) {
                RawHttp.Response answer = send(method + " " + path + " HTTP/1.1\r\nHost: x\r\nMax-Forwards: 0\r\n\r\n");
                assertThat(answer.status()).as("%s %s", method, path).isEqualTo(405);
                assertThat(answer.headers().toLowerCase()).as("%s %s", method, path).contains("allow: ");
                assertThat(answer.body()).as("%s %s echoes nothing", method, path).contains("does not accept " + method)
                        .doesNotContain("Max-Forwards");
            }
        }
        honestClientServed();
    }

    @Test
    void protobufBodiesWithTrailingBytesUnknownOrRepeatedFieldsHugeVarintsOrDeepNestingLeaseNothing()
            throws Exception {
        Identity node = Identity.generate();
        SignedEnvelope claim = h.api.sign(node, claim(node));
        byte[] envelope = claim.toByteArray();
        Map<String, byte[]> bodies = new LinkedHashMap<>();
        bodies.put("a zero byte after the envelope", concat(envelope, new byte[] {0}));
        bodies.put("an unknown field after the envelope", concat(envelope, field(99, 7)));
        bodies.put("a second payload after the envelope", concat(envelope, SignedEnvelope.newBuilder()
                .setPayload(claim(Identity.generate()).toByteString()).build().toByteArray()));
        bodies.put("a length of ten bytes of varint", concat(new byte[] {0x1a}, new byte[] {(byte) 0xff, (byte) 0xff,
            (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f}));
        bodies.put("a length past the body", concat(new byte[] {0x1a, (byte) 0xff, (byte) 0xff, 0x03}, new byte[8]));
        byte[] groups = new byte[20_000];
        for (int i = 0; i < 10_000; i++) {
            groups[2 * i] = (byte) 0xfb;  // field 127, wire type 3: a group opened, never closed
            groups[2 * i + 1] = 0x07;
        }
        bodies.put("10,000 nested groups", groups);
        ClaimRequest signedWithUnknown = ClaimRequest.newBuilder(claim(node)).build();
        bodies.put("an unknown field in the signed claim", h.api.sign(node, ClaimRequest.parseFrom(
                concat(signedWithUnknown.toByteArray(), field(999, 1)))).toByteArray());
        for (Map.Entry<String, byte[]> body : bodies.entrySet()) {
            RawHttp.Response answer = send(RawHttp.bytes("POST", "/v1/claim", PROTOBUF, body.getValue()));
            assertThat(answer.status()).as("%s: %s", body.getKey(), answer.body()).isIn(400, 401);
            assertThat(answer.body()).as(body.getKey()).containsAnyOf("BAD_REQUEST", "BAD_SIGNATURE")
                    .doesNotContain("Exception").doesNotContain("incident");
        }
        honestClientServed();
        assertThat(h.units("LEASED").getUnitsCount()).as("nothing leased").isZero();
        // the same claim, as signed, is still taken: none of the above spent its nonce
        RawHttp.Response honest = send(RawHttp.bytes("POST", "/v1/claim", PROTOBUF, envelope));
        assertThat(honest.status()).as(honest.body()).isEqualTo(200);
    }

    @Test
    void aClaimSignedForAnotherNetworkIsRefusedThereAndLeasesNothing() throws Exception {
        Path other = Files.createTempDirectory("rhizome-other-network-");
        Harness second = new Harness(other, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection();
        try {
            assertThat(second.api.network()).isNotEqualTo(h.api.network());
            Identity node = Identity.generate();
            byte[] signedHere = Json.print(h.api.sign(node, claim(node))).getBytes(StandardCharsets.UTF_8);
            RawHttp.Response there;
            try (RawHttp raw = new RawHttp(second.coordinator.url())) {
                there = raw.send(RawHttp.bytes("POST", "/v1/claim", "application/json", signedHere)).read();
            }
            assertThat(there.status()).as(there.body()).isEqualTo(403);
            assertThat(there.body()).contains("WRONG_NETWORK").contains(h.api.network()).contains(second.api.network());
            assertThat(second.units("LEASED").getUnitsCount()).isZero();
            assertThat(send(RawHttp.bytes("POST", "/v1/claim", "application/json", signedHere)).status())
                    .as("its own network takes it").isEqualTo(200);
        } finally {
            second.close();
            try (var files = Files.walk(other)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void hundredsOfDashboardConnectionsFromOneAddressAreHeldToItsCapAndOthersAreServed() throws Exception {
        int cap = h.limits.maxConnectionsPerAddress();
        List<RawHttp> live = new ArrayList<>();
        int served = 0;
        int refused = 0;
        try {
            for (int i = 0; i < cap + 136; i++) {
                RawHttp raw;
                try {
                    raw = new RawHttp(h.coordinator.url(), "127.0.0.7");
                } catch (IOException closedAtOnce) {
                    refused++;
                    continue;
                }
                live.add(raw);
                try {
                    RawHttp.Response answer = raw.send("GET /v1/dashboard HTTP/1.1\r\nHost: x\r\n\r\n").read();
                    if (answer.status() == 200) {
                        served++;
                    } else {
                        assertThat(answer.status()).isEqualTo(503);
                        assertThat(answer.body()).contains("connections");
                        refused++;
                    }
                } catch (IOException closed) {
                    refused++;  // past the few answered over the cap: closed as accepted
                }
            }
            assertThat(served).as("kept open, each polling the dashboard").isLessThanOrEqualTo(cap);
            assertThat(refused).as("refused past the address's cap").isGreaterThanOrEqualTo(136);
            honestClientServed();
        } finally {
            for (RawHttp raw : live) {
                raw.close();
            }
        }
    }

    private ClaimRequest claim(Identity node) {
        return ClaimRequest.newBuilder().setNode(node.publicId().toByteString()).setHardwareClass("cpu:x86_64")
                .setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).addKinds(WorkUnit.Kind.EXPLORE).build();
    }

    private static byte[] field(int number, long value) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeUInt64(number, value);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
