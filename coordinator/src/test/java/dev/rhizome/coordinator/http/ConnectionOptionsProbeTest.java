package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Round 18b of the hostile client (raw sockets): {@code Connection} options that name the fields a
 * request is read by. A field named there is for one hop only, and a proxy removes it before
 * passing the request on (RFC 9110, 7.6.1): "Connection: Content-Length" framed a body here that a
 * proxy read as unframed, and a claim so sent was served (a unit leased). Such a request is now
 * {@code 400} naming the field, and the connection closes; the options clients do send (close,
 * keep-alive, TE, Java's h2c upgrade, a field of their own) are served as before.
 */
class ConnectionOptionsProbeTest {
    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json().into(started -> h = started);

    private byte[] claim() {
        Identity node = Identity.generate();
        return Json.print(h.api.sign(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce())
                .addKinds(WorkUnit.Kind.EVALUATE).build())).getBytes(StandardCharsets.UTF_8);
    }

    /** A signed claim whose head carries {@code connection} (whole header lines, each ending CRLF). */
    private String claimHead(String connection, int length) {
        return "POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + connection
                + "Content-Length: " + length + "\r\n\r\n";
    }

    @Test
    void anOptionNamingAFieldTheRequestIsReadByIsRefusedAndNothingIsDone() throws Exception {
        String[][] cases = {
            {"Connection: Content-Length\r\n", "Content-Length"},
            {"Connection: close, content-type\r\n", "content-type"},
            {"Connection: keep-alive\r\nConnection: If-Match\r\n", "If-Match"},  // on its second line
            {"Connection: ,HOST ,\r\n", "HOST"},
            {"Connection: Transfer-Encoding\r\n", "Transfer-Encoding"},
            {"Connection: Expect\r\n", "Expect"},
            {"Connection: X-Forwarded-For\r\n", "X-Forwarded-For"},
        };
        for (String[] c : cases) {
            byte[] body = claim();
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(claimHead(c[0], body.length)).send(body).read();
                assertThat(r.status()).as("%s: %s", c[0].strip(), r.body()).isEqualTo(400);
                assertThat(r.body()).contains("BAD_REQUEST").contains("Connection names " + c[1])
                        .contains("RFC 9110, 7.6.1");
                assertThat(raw.closedByServer()).as("what follows it is not read: %s", c[0].strip()).isTrue();
            }
        }
        // a read too, and on HTTP/1.0
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            assertThat(raw.send("GET /v1/stats HTTP/1.0\r\nConnection: Accept\r\nAccept: application/x-protobuf\r\n\r\n")
                    .read().status()).isEqualTo(400);
        }
        assertThat(h.units("LEASED").getUnitsCount()).as("no claim leased").isZero();
    }

    @Test
    void theOptionsClientsSendAreServed() throws Exception {
        String[] served = {
            "Connection: keep-alive\r\n",
            "Connection: TE\r\nTE: trailers\r\n",
            // what java.net.http.HttpClient sends by default on http://: answered as HTTP/1.1
            "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n",
            "Connection: X-Trace\r\nX-Trace: 1\r\n",
        };
        for (String connection : served) {
            byte[] body = claim();
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(claimHead(connection, body.length)).send(body).read();
                assertThat(r.status()).as("%s: %s", connection.strip(), r.body()).isEqualTo(200);
            }
        }
        assertThat(h.units("LEASED").getUnitsCount()).as("the seed's one unit, to the first").isEqualTo(1);
    }
}
