package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator routes (`POST /v1/directions/close`, `POST /v1/bans`) as a hostile client sends them,
 * raw bytes on a socket: a key that is not an operator's, a record signed by one key naming another,
 * a record made for another network or for none, the operator's own record sent again inside and
 * past the replay window. Each is refused with its status and code and changes nothing, and none
 * of the answers may be kept by a cache.
 */
class OperatorRoutesOnTheWireTest {
    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json().into(started -> h = started);
    private final Identity stranger = Identity.generate();
    private final Identity target = Identity.generate();

    private DirectionClosure closure(Identity by, long timeMs) {
        return DirectionClosure.newBuilder().setName(DIRECTION).setReason("done")
                .setClosedBy(by.publicId().toByteString()).setClosedMs(timeMs).build();
    }

    private KeyBan ban(Identity by, long timeMs) {
        return KeyBan.newBuilder().setKey(target.publicId().toByteString()).setReason("forged metrics")
                .setBannedBy(by.publicId().toByteString()).setBannedMs(timeMs).build();
    }

    /** {@code envelope} as JSON on a fresh connection; the answer, its head included. */
    private RawHttp.Response post(String path, SignedEnvelope envelope) throws Exception {
        byte[] body = Json.print(envelope).getBytes(StandardCharsets.UTF_8);
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(RawHttp.bytes("POST", path, "application/json", body)).read();
        }
    }

    private static void assertRefused(RawHttp.Response answer, int status, String code, String mentions) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(status);
        assertThat(answer.body()).contains("\"code\": \"" + code + "\"").contains(mentions);
        assertThat(answer.headers().toLowerCase()).contains("cache-control: no-store");
    }

    private void assertNothingChanged() {
        CoordinatorStats stats = h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build();
        assertThat(h.api.get("/v1/directions").text()).doesNotContain("\"closed\": true");
        assertThat(stats.getDirections()).isEqualTo(1);
        // the target still claims: it is not banned
        assertThat(h.api.claimResponse(target).hasUnit()).isTrue();
    }

    @Test
    void aKeyThatIsNotAnOperatorsIsRefusedOnBothRoutes() throws Exception {
        long now = h.clock.millis();
        assertRefused(post("/v1/directions/close", h.api.sign(stranger, closure(stranger, now))), 403, "FORBIDDEN",
                "close directions");
        assertRefused(post("/v1/bans", h.api.sign(stranger, ban(stranger, now))), 403, "FORBIDDEN", "ban keys");
        // the operator's key named, a stranger's signature: a forgery, not an operator's record
        assertRefused(post("/v1/directions/close", h.api.sign(stranger, closure(h.operator, now))), 401,
                "BAD_SIGNATURE", "");
        assertRefused(post("/v1/bans", h.api.sign(stranger, ban(h.operator, now))), 401, "BAD_SIGNATURE", "");
        assertNothingChanged();
    }

    @Test
    void theOperatorsRecordMadeForAnotherNetworkOrForNoneIsRefused() throws Exception {
        long now = h.clock.millis();
        for (Message record : new Message[] {closure(h.operator, now), ban(h.operator, now)}) {
            String path = record instanceof KeyBan ? "/v1/bans" : "/v1/directions/close";
            assertRefused(post(path, Envelopes.sign(h.operator, "another-network", record)), 403, "WRONG_NETWORK",
                    "another-network");
            assertRefused(post(path, Envelopes.sign(h.operator, record)), 403, "WRONG_NETWORK", "version 1");
        }
        assertNothingChanged();
    }

    @Test
    void theOperatorsRecordSentAgainChangesNothingAndPastTheWindowIsRefused() throws Exception {
        long now = h.clock.millis();
        SignedEnvelope close = h.api.sign(h.operator, closure(h.operator, now));
        SignedEnvelope banned = h.api.sign(h.operator, ban(h.operator, now));
        assertThat(post("/v1/directions/close", close).body()).contains("direction closed");
        assertThat(post("/v1/bans", banned).body()).contains("key banned");
        // inside the window: acknowledged as already done, nothing else
        assertThat(post("/v1/directions/close", close).body()).contains("direction already closed");
        assertThat(post("/v1/bans", banned).body()).contains("key already banned");
        // past it: refused, naming the field and the window
        h.clock.advance(Duration.ofMinutes(6));
        assertRefused(post("/v1/directions/close", close), 400, "BAD_REQUEST", "closed_ms");
        assertRefused(post("/v1/bans", banned), 400, "BAD_REQUEST", "banned_ms");
        // an altered copy (its payload changed after signing) is a forgery
        SignedEnvelope altered = close.toBuilder().setPayload(closure(h.operator, h.clock.millis()).toByteString()).build();
        assertRefused(post("/v1/directions/close", altered), 401, "BAD_SIGNATURE", "");
        SignedEnvelope cut = banned.toBuilder().setSignature(ByteString.copyFrom(new byte[64])).build();
        assertRefused(post("/v1/bans", cut), 401, "BAD_SIGNATURE", "");
    }
}
