package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.HostileCaseRunner.BEHIND;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.HostileCaseRunner;
import dev.rhizome.coordinator.support.HostileCaseRunner.Case;
import dev.rhizome.coordinator.support.PrometheusText;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Round 35's hostile pass, raw sockets against a coordinator on loopback, on both stores: a Host
 * that is a list, a Host spelt with a space before its colon, an absolute-form target whose
 * authority is not the Host; a write whose query its route refuses, with and without
 * {@code Expect: 100-continue} (the refusal comes in place of the 100, its body unread) and with an
 * {@code If-Match} (the query's 400 stands); a GET declaring a body and asking to continue (400
 * in place of the 100); header names with whitespace before the colon; chunk
 * sizes with leading zeros, extensions on the last chunk with a trailer, sizes past every integer;
 * paths with escaped slashes, dots and NULs; JSON bodies nested past any depth, with numbers past
 * any width, a key given twice, a lone surrogate, a number where a string goes. Each is followed in
 * the same write by a second request. For each: its status and a message naming the problem; every
 * refusal counted in {@code rhizome_refusals_total} under its Error code before the client has its
 * answer; where the stream can no longer be trusted it closes and the request behind is never
 * answered, else that request is answered as its own; a neighbour is served after it. Then: a
 * refusal in the middle of pipelined writes with bodies answered in its place; HTTP/1.0 keep-alive
 * kept; a connection storm from one address leaves its neighbours served; and nothing was stored.
 *
 * <p>Slow heads and bodies past the deadlines are {@link SlowRequestsTest}'s; round 34's shapes,
 * {@link HostileClientPassTest}'s and {@link HostileWirePassTest}'s.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class HostileRequestsOnBothStoresTest {
    private static final String GET_STATS = "GET /v1/stats HTTP/1.1\r\nHost: x\r\n";
    private static final String POST_JSON = "POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    private static final String EXPECT = "Expect: 100-continue\r\n";
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(20);

    @Parameter
    String store;

    @TempDir
    Path dataDir;

    private Harness h;

    /** A POST to /v1/claim with a JSON body framed by its length. */
    private static String claimWith(String json) {
        return POST_JSON + "Content-Length: " + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
    }

    private static final List<Case> CASES = List.of(
            // Host (RFC 9112, 3.2)
            new Case("a Host that is a list", GET_STATS.replace("Host: x", "Host: a,b") + "\r\n", 400,
                    "Host header a,b is a list", true),
            new Case("a Host list with a space", GET_STATS.replace("Host: x", "Host: x, y") + "\r\n", 400,
                    "is a list", true),
            new Case("a Host list with an empty element", GET_STATS.replace("Host: x", "Host: x,") + "\r\n", 400,
                    "is a list", true),
            new Case("two Host lines in two cases", GET_STATS + "host: x\r\n\r\n", 400, "2 Host headers", true),
            new Case("a Host with a space before its colon", "GET /v1/stats HTTP/1.1\r\nHost : x\r\n\r\n", 400,
                    "invalid character 0x20 at index 4 of header 'Host '", true),
            // the absolute form's authority names the resource and Host is ignored (RFC 9112, 3.2.2)
            new Case("the absolute form on another port than Host", "GET http://x:81/v1/stats HTTP/1.1\r\nHost: x\r\n\r\n",
                    200, "\"seeds\"", false),
            new Case("the absolute form on another host than Host", "GET https://a.example/v1/stats HTTP/1.1\r\n"
                    + "Host: b.example\r\n\r\n", 200, "\"seeds\"", false),
            // a write's query, refused before its body
            new Case("a query on a write, asking to continue", POST_JSON.replace("/v1/claim", "/v1/claim?wait=1") + EXPECT
                    + "Content-Length: 2\r\n\r\n{}", 400, "/v1/claim takes no query parameters", true),
            new Case("a repeated query on a write, asking to continue",
                    POST_JSON.replace("/v1/claim", "/v1/claim?a=1&a=2") + EXPECT + "Content-Length: 2\r\n\r\n{}", 400,
                    "/v1/claim takes no query parameters", true),
            new Case("a query on a chunked write, asking to continue", POST_JSON.replace("/v1/claim", "/v1/claim?x")
                    + EXPECT + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400, "takes no query", true),
            new Case("a query on a write, its body sent", POST_JSON.replace("/v1/claim", "/v1/claim?wait=1")
                    + "Content-Length: 2\r\n\r\n{}", 400, "/v1/claim takes no query parameters", false),
            new Case("a query on a write with an If-Match no tag meets", POST_JSON.replace("/v1/claim", "/v1/claim?wait=1")
                    + "If-Match: \"v1\"\r\nContent-Length: 2\r\n\r\n{}", 400, "takes no query parameters", false),
            new Case("a query on a write with an If-Match, asking to continue",
                    POST_JSON.replace("/v1/claim", "/v1/claim?wait=1") + EXPECT + "If-Match: \"v1\"\r\n"
                            + "Content-Length: 2\r\n\r\n{}", 400, "takes no query parameters", true),
            new Case("a body on a GET, asking to continue", GET_STATS + EXPECT + "Content-Length: 2\r\n\r\n{}", 400,
                    "GET takes no body, and this one declares Content-Length: 2", true),
            new Case("a body on a method HTTP does not define, asking to continue", "BREW /v1/stats HTTP/1.1\r\n"
                    + "Host: x\r\n" + EXPECT + "Content-Length: 3\r\n\r\nabc", 501, "method BREW is not one this server "
                    + "knows", true),
            // header names
            new Case("a space before a colon", POST_JSON + "Content-Length : 2\r\n\r\n{}", 400,
                    "invalid character 0x20 at index 14", true),
            new Case("a tab before a colon", GET_STATS + "X-Note\t: a\r\n\r\n", 400, "invalid character 0x9 at index 6",
                    true),
            new Case("a header with no colon", GET_STATS + "X-Note a\r\n\r\n", 400, "No colon found", true),
            // chunks
            new Case("a chunk size with leading zeros", POST_JSON + "Transfer-Encoding: chunked\r\n\r\n0002\r\n{}\r\n"
                    + "000\r\n\r\n", 400, "no version", false),
            new Case("a chunk size of a hundred leading zeros", POST_JSON + "Transfer-Encoding: chunked\r\n\r\n"
                    + "0".repeat(100) + "2\r\n{}\r\n0\r\n\r\n", 400, "no version", false),
            new Case("an extension on the last chunk, then a trailer", POST_JSON + "Transfer-Encoding: chunked\r\n\r\n"
                    + "2;a=b\r\n{}\r\n0;last=\"yes\"\r\nX-Sum: 1\r\n\r\n", 400, "no version", false),
            new Case("a chunk size of sixteen Fs", POST_JSON + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n{}",
                    413, "exceeds", true),
            new Case("a chunk size in 0x", POST_JSON + "Transfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n", 400,
                    "chunk", true),
            // paths
            new Case("escaped dots", "GET /v1/%2e%2e/v1/stats HTTP/1.1\r\nHost: x\r\n\r\n", 404, "are not decoded", false),
            new Case("raw dots", "GET /v1/../v1/stats HTTP/1.1\r\nHost: x\r\n\r\n", 404, "no route /v1/../v1/stats",
                    false),
            new Case("an escaped slash before the path", "GET /%2Fv1/stats HTTP/1.1\r\nHost: x\r\n\r\n", 404,
                    "no route /%2Fv1/stats", false),
            new Case("an escaped NUL in a write's path", POST_JSON.replace("/v1/claim", "/v1/claim%00")
                    + "Content-Length: 2\r\n\r\n{}", 404, "are not decoded", false),
            // JSON bodies, each framed soundly: refused by name, the connection kept
            new Case("JSON nested 10,000 deep", claimWith("{\"a\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}"),
                    400, "malformed JSON", false),
            new Case("a number of 400 digits", claimWith("{\"version\": 1" + "0".repeat(400) + "}"), 400,
                    "a number too long to read", false),
            new Case("a number past any double", claimWith("{\"version\": 1e999999}"), 400,
                    "Out of range uint32 value: 1e999999", false),
            new Case("a key given twice", claimWith("{\"version\": 2, \"version\": 2}"), 400,
                    "key \"version\" is given twice", false),
            new Case("a lone surrogate", claimWith("{\"version\": 2, \"type\": \"\\ud800\"}"), 400,
                    "field $.type holds a lone surrogate", false),
            new Case("a number where a string goes", claimWith("{\"version\": 2, \"type\": 5}"), 400,
                    "field $.type takes a string, and was given a number (5)", false),
            new Case("a boolean where a string goes", claimWith("{\"version\": 2, \"network\": false}"), 400,
                    "field $.network takes a string, and was given a boolean", false),
            new Case("an object where a string goes", claimWith("{\"version\": 2, \"network\": {}}"), 400,
                    "Invalid value: {} for expected type: STRING", false));

    @BeforeEach
    void start() throws Exception {
        h = Harness.on(store, dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON, CoordinatorLimits.defaults())
                .withSeedAndDirection();
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void eachShapeIsRefusedByNameCountedAndClosedWhenTheStreamCannotBeTrusted() throws Exception {
        String statsBefore = exchange(GET_STATS + "\r\n").body();
        int leasedBefore = h.units("LEASED").getUnitsCount();
        SoftAssertions soft = new SoftAssertions();
        // never a 100 first: each case's answer can be told from its head, or its body came
        HostileCaseRunner.firstAnswer(h.coordinator.url(), "[hostile35 " + store + "]").run(CASES, soft);
        soft.assertThat(exchange(GET_STATS + "\r\n").body()).as("nothing was stored").isEqualTo(statsBefore);
        soft.assertThat(h.units("LEASED").getUnitsCount()).as("nothing leased").isEqualTo(leasedBefore);
        soft.assertAll();
    }

    /**
     * Signed writes pipelined with their bodies, a refused one among them: each is answered in
     * its place, the refusal's connection kept (its framing was sound), the honest ones served.
     */
    @Test
    void aRefusalAmongPipelinedWritesIsAnsweredInItsPlace() throws Exception {
        String first = claimWith(signedClaim());
        String refused = POST_JSON.replace("/v1/claim", "/v1/claim?wait=1") + "Content-Length: 2\r\n\r\n{}";
        String last = claimWith(signedClaim());
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(first + refused + last + BEHIND);
            RawHttp.Response one = raw.read();
            RawHttp.Response two = raw.read();
            RawHttp.Response three = raw.read();
            RawHttp.Response four = raw.read();
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(one.status()).as("the first claim: %s", one.body()).isEqualTo(200);
            soft.assertThat(two.status()).as("the refusal, second: %s", two.body()).isEqualTo(400);
            soft.assertThat(two.body()).contains("/v1/claim takes no query parameters");
            soft.assertThat(three.status()).as("the last claim: %s", three.body()).isEqualTo(200);
            soft.assertThat(four.body()).as("the request behind, on the same connection").isEqualTo("ok");
            soft.assertAll();
        }
    }

    /** HTTP/1.0 with "Connection: keep-alive" keeps its connection, and says so; without it, closes. */
    @Test
    void http10KeepAliveIsKeptAndPlainHttp10Closes() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response kept = raw.send("GET /v1/stats HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(kept.status()).isEqualTo(200);
            soft.assertThat(kept.headers().toLowerCase(Locale.ROOT)).contains("\r\nconnection: keep-alive\r\n");
            soft.assertThat(raw.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read().body())
                    .as("a second request on it").isEqualTo("ok");
            RawHttp.Response plain = raw.send("GET /healthz HTTP/1.0\r\n\r\n").read();
            soft.assertThat(plain.body()).isEqualTo("ok");
            soft.assertThat(raw.closedWithin(CLOSE_WAIT)).as("HTTP/1.0 without keep-alive closes after its answer")
                    .isTrue();
            soft.assertAll();
        }
    }

    /**
     * A hundred connections at once from one address, none sending a byte: past the address's cap
     * (64) they are closed as they open and counted; a neighbour on another address is served
     * throughout, and once the storm is gone its address is served again.
     */
    @Test
    void aConnectionStormFromOneAddressLeavesItsNeighboursServed() throws Exception {
        List<RawHttp> storm = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                storm.add(new RawHttp(h.coordinator.url(), "127.0.0.2"));
            }
            try (RawHttp neighbour = new RawHttp(h.coordinator.url(), "127.0.0.3")) {
                await().atMost(Duration.ofSeconds(30)).until(() -> refusedByCap() >= 36);
                neighbour.send(BEHIND);
                org.assertj.core.api.Assertions.assertThat(neighbour.read().body()).as("a neighbour during the storm")
                        .isEqualTo("ok");
            }
        } finally {
            for (RawHttp raw : storm) {
                raw.close();
            }
        }
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            try (RawHttp raw = new RawHttp(h.coordinator.url(), "127.0.0.2")) {
                return raw.send(BEHIND).read().body().equals("ok");
            }
        });
    }

    private String signedClaim() {
        Identity node = Identity.generate();
        ClaimRequest claim = ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce())
                .addKinds(WorkUnit.Kind.EVALUATE).build();
        return Json.print(h.api.sign(node, claim));
    }

    private double refusedByCap() throws Exception {
        PrometheusText scrape = PrometheusText.parse(exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").body());
        return scrape.samples("rhizome_connections_refused_total").stream().mapToDouble(PrometheusText.Sample::value)
                .sum();
    }

    private RawHttp.Response exchange(String request) throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(request).read();
        }
    }
}
