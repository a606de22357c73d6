package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Envelopes that are not signed records to check (round 29, raw sockets): {@code {}}, no version,
 * no network, another record type than the route's, a signer or signature of the wrong length.
 * Round 28 answered them {@code 401 BAD_SIGNATURE} and counted each as a rejected signature, so a
 * client's broken encoder read in {@code /v1/stats} as forgeries; they are {@code 400 BAD_REQUEST}
 * naming the problem, and only a signature that was checked and failed is counted. A claim
 * replayed on another route is refused there without being spent, and on its own route leases once.
 */
class MalformedEnvelopesProbeTest extends SeededCoordinatorTest {
    private RawHttp.Response post(String path, String json) throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(RawHttp.bytes("POST", path, "application/json", json.getBytes(StandardCharsets.UTF_8))).read();
        }
    }

    private long rejectedSignatures() {
        return h.api.get("/v1/stats", CoordinatorStats.newBuilder()).getRejectedSignatures();
    }

    private ClaimRequest claim(Identity node) {
        return ClaimRequest.newBuilder().setNode(node.publicId().toByteString()).setHardwareClass("cpu:x86_64")
                .setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).addKinds(WorkUnit.Kind.EVALUATE).build();
    }

    @Test
    void anEnvelopeWithNothingToCheckIsABadRequestNotAForgery() throws Exception {
        Identity node = Identity.generate();
        SignedEnvelope good = h.api.sign(node, claim(node));
        Map<String, SignedEnvelope> malformed = new LinkedHashMap<>();
        malformed.put("no version", good.toBuilder().clearVersion().build());
        malformed.put("unsupported envelope version 3", good.toBuilder().setVersion(3).build());
        // a uint32 past Integer.MAX_VALUE, as sent: it was named -2147483648, a version nobody sent
        malformed.put("unsupported envelope version 2147483648;", good.toBuilder().setVersion(Integer.MIN_VALUE).build());
        malformed.put("unsupported envelope version 4294967295;", good.toBuilder().setVersion(-1).build());
        malformed.put("must name its network", good.toBuilder().clearNetwork().build());
        malformed.put("carries an unsigned one", good.toBuilder().setVersion(Envelopes.VERSION_1).build());
        malformed.put("expected a signed rhizome.v1.ClaimRequest, got an envelope with no type",
                good.toBuilder().clearType().build());
        malformed.put("signer key must be 32 bytes, got 5",
                good.toBuilder().setSigner(ByteString.copyFrom(new byte[5])).build());
        malformed.put("signature must be 64 bytes (Ed25519), got 0", good.toBuilder().clearSignature().build());
        long before = rejectedSignatures();
        RawHttp.Response empty = post("/v1/claim", "{}");
        assertThat(empty.status()).as(empty.body()).isEqualTo(400);
        assertThat(empty.body()).contains("BAD_REQUEST").contains("no version");
        for (Map.Entry<String, SignedEnvelope> each : malformed.entrySet()) {
            RawHttp.Response answer = post("/v1/claim", Json.print(each.getValue()));
            assertThat(answer.status()).as("%s: %s", each.getKey(), answer.body()).isEqualTo(400);
            assertThat(answer.body()).as(each.getKey()).contains("BAD_REQUEST").contains(each.getKey());
        }
        assertThat(rejectedSignatures()).as("none of them was a signature that failed").isEqualTo(before);

        // a signature checked and failed is still a forgery, counted
        SignedEnvelope altered = good.toBuilder().setPayload(claim(node).toByteString()).build();
        RawHttp.Response forged = post("/v1/claim", Json.print(altered));
        assertThat(forged.status()).as(forged.body()).isEqualTo(401);
        assertThat(forged.body()).contains("BAD_SIGNATURE").contains("does not verify");
        assertThat(rejectedSignatures()).isEqualTo(before + 1);
        assertThat(h.api.get("/metrics").text())
                .contains("rhizome_refusals_total{reason=\"BAD_REQUEST\",route=\"/v1/claim\"} 10.0")
                .contains("rhizome_refusals_total{reason=\"BAD_SIGNATURE\",route=\"/v1/claim\"} 1.0");
    }

    @Test
    void aClaimReplayedOnAnotherRouteIsRefusedThereUnspentAndServedOnceOnItsOwn() throws Exception {
        Identity node = Identity.generate();
        String claim = Json.print(h.api.sign(node, claim(node)));
        long before = rejectedSignatures();
        for (String route : new String[] {"/v1/results", "/v1/experiments", "/v1/leases/renew", "/v1/papers"}) {
            RawHttp.Response elsewhere = post(route, claim);
            assertThat(elsewhere.status()).as("%s: %s", route, elsewhere.body()).isEqualTo(400);
            assertThat(elsewhere.body()).contains("got rhizome.v1.ClaimRequest");
        }
        RawHttp.Response served = post("/v1/claim", claim);
        assertThat(served.status()).as(served.body()).isEqualTo(200);
        assertThat(served.body()).contains(h.seedCommit);
        // replayed on its own route it leases nothing more: its unit, still held, is the answer
        // (a reply lost to a crash is asked for again this way)
        RawHttp.Response again = post("/v1/claim", claim);
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(served.body());
        assertThat(h.units("LEASED").getUnitsCount()).as("one lease, for the one claim served").isEqualTo(1);
        assertThat(rejectedSignatures()).isEqualTo(before);
    }

    @Test
    void aContentLengthShortOfTheBodyLeavesTheRestToBeReadAsTheNextRequest() throws Exception {
        // Keep-alive: the body's declared length ends it; what follows is the next request, read and
        // refused by name (here a method no route knows), never glued to the envelope before it.
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send("POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n"
                    + "{}xxGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response envelope = raw.read();
            assertThat(envelope.status()).as(envelope.body()).isEqualTo(400);
            assertThat(envelope.body()).contains("no version");
            RawHttp.Response rest = raw.read();
            assertThat(rest.status()).as(rest.body()).isEqualTo(501);
            assertThat(rest.body()).contains("method xxGET is not one this server knows");
        }
        assertThat(exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").body()).isEqualTo("ok");
    }
}
