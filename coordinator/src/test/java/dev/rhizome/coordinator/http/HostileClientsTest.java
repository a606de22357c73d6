package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.coordinator.support.LogCapture;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The attacks of issue 7, one class of defect each, against a real coordinator on loopback: each is
 * refused with an error that names the problem, logged once with request values escaped, and
 * leaves nothing stored.
 */
class HostileClientsTest extends OnEachStore {
    private final Identity node = Identity.generate();

    private Harness start(CoordinatorLimits limits) throws Exception {
        return open(Fixtures.manifest(1, 0.01), ApiClient.Format.JSON, limits).withSeedAndDirection();
    }

    private CoordinatorStats stats() {
        return h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build();
    }

    private static void assertRefused(ApiClient.Response response, int status, Error.Code code, String mentions) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.error().getCode()).isEqualTo(code);
        assertThat(response.error().getMessage()).contains(mentions);
    }

    private Paper paper(Identity author, long createdMs) {
        return Paper.newBuilder().setAuthor(author.publicId().toByteString()).setDirection(DIRECTION)
                .setTitle("what we found").setBodyMarkdown("lower lr helps").setCreatedMs(createdMs).build();
    }

    // 1. Arithmetic on request times and sizes can't overflow.
    @Test
    void timesNearTheEndsOfTheLongRangeAreRefusedNotWrapped() throws Exception {
        start(CoordinatorLimits.defaults());
        Identity author = Identity.generate();
        for (long time : new long[] {h.clock.millis() - Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE,
                h.clock.millis() + Long.MAX_VALUE / 2 * 2}) {
            assertRefused(h.api.signAndPost("/v1/papers", author, paper(author, time)), 400, Error.Code.BAD_REQUEST,
                    "created_ms " + time);
            assertRefused(h.api.signAndPost("/v1/claim", node, ClaimRequest.newBuilder()
                    .setNode(node.publicId().toByteString()).setTimeMs(time).setNonce(Fixtures.nonce()).build()),
                    400, Error.Code.BAD_REQUEST, "time_ms");
        }
        assertThat(stats().getPapers()).isZero();
        assertThat(h.units("LEASED").getUnitsCount()).isZero();
    }

    // 2. Identity is over what is signed; unknown fields are refused.
    @Test
    void reWrappingSomeoneElsesPaperWithAnUnknownFieldIsRefusedAndStoresNothing() throws Exception {
        start(CoordinatorLimits.defaults());
        Identity author = Identity.generate();
        SignedEnvelope original = h.api.sign(author, paper(author, h.clock.millis()));
        String id = h.api.post("/v1/papers", original).ack().getId();
        assertThat(id).isEqualTo(Envelopes.id(original));

        SignedEnvelope rewrapped = original.toBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
                .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()).build();
        ApiClient.Response refused = h.api.postRaw("/v1/papers", "application/x-protobuf", rewrapped.toByteArray());
        assertRefused(refused, 400, Error.Code.BAD_REQUEST, "envelope carries fields this coordinator does not know");

        // Signed by the author but with a field this coordinator can't check: refused as well.
        Paper withExtra = paper(author, h.clock.millis()).toBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
                .addField(4242, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8("x")).build())
                .build()).build();
        assertRefused(h.api.post("/v1/papers", h.api.sign(author, withExtra)), 400, Error.Code.BAD_REQUEST,
                "rhizome.v1.Paper carries fields");

        // The same signed bytes in the other body format are the same record.
        ApiClient protobuf = new ApiClient(h.coordinator.url(), ApiClient.Format.PROTOBUF, h.clock);
        assertThat(protobuf.post("/v1/papers", original).ack().getId()).isEqualTo(id);
        assertThat(stats().getPapers()).isEqualTo(1);
    }

    // 3. Request values in the log are escaped and capped.
    @Test
    void controlCharactersAndHugeValuesNeverReachTheLogVerbatim() throws Exception {
        start(CoordinatorLimits.defaults());
        try (LogCapture log = LogCapture.everyLevel()) {
            String forged = "evil\r\n12:00:00.000 [main] INFO  forged - operator key rotated\u0000\u001b[31m"
                    + "x".repeat(3_900);  // under RecordBounds' 4,096, so the refusal quotes it
            NodeAnnouncement announcement = NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                    .setHost(forged).setPort(7000).setTimeMs(h.clock.millis()).build();
            ApiClient.Response refused = h.api.signAndPost("/v1/announce", node, announcement);
            assertThat(refused.status()).isEqualTo(400);
            // (the host is refused for its control characters before it is read as a host, and so is
            // the state: a query value is printable text, QueryTextTest; neither is quoted)
            ApiClient.Response badState = h.api.get("/v1/units?state=OPEN%0D%0AINFO%20forged%00%1B" + "x".repeat(300));
            assertThat(badState.status()).isEqualTo(400);

            // at WARN, or at DEBUG once the refusals' budget of lines is spent (other tests' refusals count)
            await().atMost(Duration.ofSeconds(60)).until(() -> log.linesMentioning("refused with 400").size() >= 2);
            List<String> lines = log.linesMentioning("refused with 400");
            assertThat(lines).as("each refusal logged once").hasSize(2);
            for (String line : lines) {
                assertThat(line).doesNotContain("\r", "\n", "\u0000", "\u001b").hasSizeLessThan(1000);
            }
            assertThat(String.join(" ", lines)).contains("query parameter state has a control character (U+000D)");
        }
        assertThat(h.api.get("/v1/nodes").text()).doesNotContain("evil");
    }

    // 3b. A client decides how many refusals it causes, not how much the coordinator logs.
    @Test
    void refusalsInALoopWriteABoundedNumberOfWarnLines() throws Exception {
        start(CoordinatorLimits.defaults());
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 3 * WarnBudget.PER_WINDOW; i++) {
                assertThat(h.api.get("/v1/units?state=NOT_A_STATE_" + i).status()).isEqualTo(400);
            }
            // each answered, at most a minute's budget of lines at WARN (fewer where other tests spent it)
            assertThat(log.warningsMentioning("refused with 400")).hasSizeLessThanOrEqualTo(WarnBudget.PER_WINDOW);
        }
        assertThat(h.api.get("/metrics").text()).containsPattern("rhizome_refusals_total\\{[^}]*\\} [3-9][0-9]");
    }

    // 4. A JSON body is one object and then the end.
    @Test
    void jsonWithTrailingDataIsRefused() throws Exception {
        start(CoordinatorLimits.defaults());
        Identity author = Identity.generate();
        String json = Json.print(h.api.sign(author, paper(author, h.clock.millis())));
        for (String body : List.of(json + "garbage", json + " {}", json + json, "[" + json + "]")) {
            assertRefused(h.api.postRaw("/v1/papers", "application/json", body.getBytes(StandardCharsets.UTF_8)),
                    400, Error.Code.BAD_REQUEST, "JSON");
        }
        assertThat(stats().getPapers()).isZero();
        assertThat(h.api.postRaw("/v1/papers", "application/json", (json + "\n  ").getBytes(StandardCharsets.UTF_8))
                .status()).as("trailing whitespace is fine").isEqualTo(200);
    }

    // 5. Pipelined requests are answered in order.
    @Test
    void pipelinedRepliesLeaveInRequestOrder() throws Exception {
        start(CoordinatorLimits.defaults());
        ByteArrayBuilder burst = new ByteArrayBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            // A signed claim (signature check and a database commit), then requests that need neither.
            Identity claimer = Identity.generate();
            byte[] claim = Json.print(h.api.sign(claimer, ClaimRequest.newBuilder()
                    .setNode(claimer.publicId().toByteString()).addKinds(WorkUnit.Kind.EVALUATE).setHardwareClass("cpu")
                    .setDirection("nowhere-" + i).setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).build()))
                    .getBytes(StandardCharsets.UTF_8);
            burst.add(RawHttp.bytes("POST", "/v1/claim", "application/json", claim));
            expected.add("claim nowhere-" + i);
            burst.add(RawHttp.bytes("GET", "/healthz", null, new byte[0]));
            expected.add("ok");
            burst.add(RawHttp.bytes("GET", "/v1/units?state=BOGUS" + i, null, new byte[0]));
            expected.add("BOGUS" + i);
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(burst.toArray());
            for (String what : expected) {
                RawHttp.Response response = raw.read();
                if (what.equals("ok")) {
                    assertThat(response.body()).isEqualTo("ok");
                } else if (what.startsWith("claim ")) {
                    // An unknown direction is refused by name: the name tells which claim this answers.
                    assertThat(response.status()).as(response.body()).isEqualTo(404);
                    assertThat(response.body()).as("reply in request order")
                            .contains("unknown direction " + what.substring("claim ".length()) + "\"");
                } else {
                    assertThat(response.body()).as("reply in request order").contains(what + "\\u0027");
                }
            }
        }
    }

    // 6. Claims: a nonce accepted once, a bounded number of leases per key, a cap on renewals.
    @Test
    void aReplayedClaimLeasesNothingMoreEvenAfterARestart() throws Exception {
        start(CoordinatorLimits.defaults());
        SignedEnvelope claim = h.api.sign(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).build());
        ApiClient.Response first = h.api.post("/v1/claim", claim);
        assertThat(first.status()).isEqualTo(200);
        WorkUnit unit = first.parse(ClaimResponse.newBuilder()).getUnit();
        assertThat(h.units("LEASED").getUnitsCount()).isEqualTo(1);
        // The same claim again (its answer lost, say) gets the unit it took, and takes nothing more.
        ApiClient.Response again = h.api.post("/v1/claim", claim);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.parse(ClaimResponse.newBuilder()).getUnit().getId()).isEqualTo(unit.getId());
        h.restart(ApiClient.Format.JSON);
        ApiClient.Response afterRestart = h.api.post("/v1/claim", claim);
        assertThat(afterRestart.status()).isEqualTo(200);
        assertThat(afterRestart.parse(ClaimResponse.newBuilder()).getUnit().getId()).isEqualTo(unit.getId());
        assertThat(h.units("LEASED").getUnitsCount()).as("the replays leased nothing").isEqualTo(1);
        // Once the unit is no longer held, the claim is a plain replay.
        h.api.signAndPost("/v1/results", node, Fixtures.result(node, unit, 3.0, h.clock.millis())).ack();
        assertRefused(h.api.post("/v1/claim", claim), 409, Error.Code.CONFLICT, "nonce was already used");
        assertThat(h.units("LEASED").getUnitsCount()).isZero();

        assertRefused(h.api.signAndPost("/v1/claim", node, ClaimRequest.newBuilder()
                .setNode(node.publicId().toByteString()).setTimeMs(h.clock.millis()).build()),
                400, Error.Code.BAD_REQUEST, "nonce must be 16-64");
    }

    @Test
    void oneKeyHoldsABoundedNumberOfLeasesAndRenewsABoundedNumberOfTimes() throws Exception {
        start(CoordinatorLimits.defaults().withLeases(2, 2));
        WorkUnit baseline = h.claimEvaluation(node, h.seedCommit);
        WorkUnit explore = h.api.claim(node, WorkUnit.Kind.EXPLORE, WorkUnit.Kind.EVALUATE);
        assertThat(explore).isNotNull();
        Identity other = Identity.generate();
        ApiClient.Response third = h.api.signAndPost("/v1/claim", node, ClaimRequest.newBuilder()
                .setNode(node.publicId().toByteString()).addKinds(WorkUnit.Kind.EXPLORE).setTimeMs(h.clock.millis())
                .setNonce(Fixtures.nonce()).build());
        assertRefused(third, 429, Error.Code.LIMIT_REACHED, "at most 2 at once");
        assertThat(h.api.claim(other, WorkUnit.Kind.EXPLORE)).as("an honest node still gets work").isNotNull();

        for (int i = 0; i < 2; i++) {
            h.clock.advance(Duration.ofSeconds(1));  // each renewal is signed after the one before (a copy counts nothing)
            h.api.signAndPost("/v1/leases/renew", node, renewal(baseline)).ack();
        }
        h.clock.advance(Duration.ofSeconds(1));
        assertRefused(h.api.signAndPost("/v1/leases/renew", node, renewal(baseline)), 429, Error.Code.LIMIT_REACHED,
                "renewed 2 times");
    }

    private LeaseRenewal renewal(WorkUnit unit) {
        return LeaseRenewal.newBuilder().setWorkUnitId(unit.getId()).setNode(node.publicId().toByteString())
                .setTimeMs(h.clock.millis()).build();
    }

    @Test
    void leasesExpireOnATimerAndClosingAnExplorationIsIdempotentPastTheReplayWindow() throws Exception {
        start(CoordinatorLimits.defaults());
        WorkUnit baseline = h.claimEvaluation(node, h.seedCommit);
        WorkUnit explore = h.api.claim(node, WorkUnit.Kind.EXPLORE);
        SignedEnvelope done = h.api.sign(node, ExploreDone.newBuilder().setWorkUnitId(explore.getId())
                .setNode(node.publicId().toByteString()).setTimeMs(h.clock.millis()).build());
        h.api.post("/v1/explore-done", done).ack();
        h.clock.advance(Duration.ofMinutes(10));
        assertThat(h.api.post("/v1/explore-done", done).ack().getMessage()).contains("already closed");

        h.clock.advance(Duration.ofHours(1));
        await().atMost(Duration.ofSeconds(60)).until(() -> h.unit(baseline.getId()).getState() == UnitStatus.State.OPEN);
    }

    // 7. Slow clients.
    @Test
    void aTrickledRequestGets408AndItsConnectionCloses() throws Exception {
        start(CoordinatorLimits.defaults().withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(30)));
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send("POST /v1/papers HTTP/1.1\r\nHost: x\r\n");
            raw.send("Content-Type: application/json\r\n");
            RawHttp.Response response = raw.read();
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.body()).contains("not received within 1 s");
            await().atMost(Duration.ofSeconds(60)).until(raw::closedByServer);
        }
    }

    @Test
    void anIdleConnectionIsClosed() throws Exception {
        start(CoordinatorLimits.defaults().withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(1)));
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            assertThat(raw.send(RawHttp.bytes("GET", "/healthz", null, new byte[0])).read().body()).isEqualTo("ok");
            await().atMost(Duration.ofSeconds(60)).until(raw::closedByServer);
        }
    }

    @Test
    void anOversizedBodyGets413AndTheConnectionClosesWithoutReadingIt() throws Exception {
        start(CoordinatorLimits.defaults());
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send("POST /v1/papers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000000000\r\n\r\n{");
            RawHttp.Response response = raw.read();
            assertThat(response.status()).isEqualTo(413);
            assertThat(response.headers().toLowerCase()).contains("connection: close");
            await().atMost(Duration.ofSeconds(60)).until(raw::closedByServer);
        }
    }

    @Test
    void connectionsPerAddressAreCapped() throws Exception {
        // A coordinator of its own: the harness's HTTP client would keep connections of its own open.
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dataDir)
                .withLimits(CoordinatorLimits.defaults().withConnections(100, 3)))) {
            connectionsPerAddressAreCapped(coordinator);
        }
    }

    private void connectionsPerAddressAreCapped(Coordinator coordinator) throws Exception {
        List<RawHttp> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                open.add(new RawHttp(coordinator.url()));
                assertThat(open.get(i).send(RawHttp.bytes("GET", "/healthz", null, new byte[0])).read().body())
                        .isEqualTo("ok");
            }
            try (RawHttp fourth = new RawHttp(coordinator.url())) {
                await().atMost(Duration.ofSeconds(60)).until(fourth::closedByServer);
            }
            // One that asks learns why: it was closed as it was accepted, no answer and no reason.
            try (RawHttp fifth = new RawHttp(coordinator.url())) {
                RawHttp.Response refused = fifth.send(RawHttp.bytes("GET", "/healthz", null, new byte[0])).read();
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.body()).contains("your address").contains("holds its most connections (3)");
                assertThat(refused.headers().toLowerCase()).contains("connection: close").contains("retry-after: 5");
                await().atMost(Duration.ofSeconds(60)).until(fifth::closedByServer);
            }
            try (RawHttp head = new RawHttp(coordinator.url())) {
                assertThat(head.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n").readHeadOnly().status()).isEqualTo(503);
                assertThat(head.closedByServer()).as("no body after a HEAD's headers").isTrue();
            }
            open.remove(0).close();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                try (RawHttp again = new RawHttp(coordinator.url())) {
                    return again.send(RawHttp.bytes("GET", "/healthz", null, new byte[0])).read().body().equals("ok");
                } catch (IOException e) {
                    return false;
                }
            });
            // and the operator sees them: three refused by the address's cap, at least (the scrape
            // retried: the coordinator may not yet have seen the last probe's close, and refuses it)
            String[] scraped = new String[1];
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                try (RawHttp scrape = new RawHttp(coordinator.url())) {
                    RawHttp.Response r = scrape.send(RawHttp.bytes("GET", "/metrics", null, new byte[0])).read();
                    scraped[0] = r.body();
                    return r.status() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
            String metrics = scraped[0];
            java.util.regex.Matcher refused = java.util.regex.Pattern
                    .compile("(?m)^rhizome_connections_refused_total\\{cap=\"address\"} ([0-9.]+)$").matcher(metrics);
            assertThat(refused.find()).as(metrics).isTrue();
            assertThat(Double.parseDouble(refused.group(1))).isGreaterThanOrEqualTo(3);
        } finally {
            for (RawHttp r : open) {
                r.close();
            }
        }
    }

    @Test
    void unfinishedBodiesCantHoldMoreThanTheBudget() throws Exception {
        start(CoordinatorLimits.defaults().withMaxBufferedBodyBytes(100_000));
        try (RawHttp first = new RawHttp(h.coordinator.url()); RawHttp second = new RawHttp(h.coordinator.url())) {
            first.send("POST /v1/papers HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n").send(new byte[60_000]);
            await().pollDelay(Duration.ofMillis(200)).atMost(Duration.ofSeconds(60)).until(() -> !first.closedWithin(Duration.ofMillis(200)));
            second.send("POST /v1/papers HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n").send(new byte[60_000]);
            RawHttp.Response response = second.read();
            assertThat(response.status()).isEqualTo(503);
            assertThat(response.body()).contains("holds its most request bodies being received");
            await().atMost(Duration.ofSeconds(60)).until(second::closedByServer);
        }
        assertThat(stats().getPapers()).isZero();
    }

    /** Concatenates request bytes into one burst. */
    private static final class ByteArrayBuilder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void add(byte[] bytes) {
            out.writeBytes(bytes);
        }

        byte[] toArray() {
            return out.toByteArray();
        }
    }
}
