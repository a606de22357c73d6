package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Round 18b of the hostile client (raw sockets): a signed record sent in one format labelled as
 * the other, on every signed route. Each is a 400 that names the format it was read as and the
 * one it looks like (the parser's own words, "invalid wire type", did not say what to change),
 * never a 200, a 401 or a 500; the same record labelled rightly is served.
 */
class MislabelledBodiesProbeTest {
    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json().into(started -> h = started);

    private RawHttp.Response post(String path, String contentType, byte[] body) throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(RawHttp.bytes("POST", path, contentType, body)).read();
        }
    }

    @Test
    void aRecordLabelledAsTheOtherFormatIsA400SayingWhichToSend() throws Exception {
        Identity author = Identity.generate();
        SignedEnvelope envelope = h.api.sign(author, Paper.newBuilder().setAuthor(author.publicId().toByteString())
                .setDirection(DIRECTION).setTitle("t").setBodyMarkdown("b").setCreatedMs(h.clock.millis()).build());
        byte[] json = Json.print(envelope).getBytes(StandardCharsets.UTF_8);
        byte[] protobuf = envelope.toByteArray();
        for (String path : RouteTable.paths("POST")) {
            RawHttp.Response asProtobuf = post(path, "application/x-protobuf", json);
            assertThat(asProtobuf.status()).as("JSON sent as protobuf to %s: %s", path, asProtobuf.body()).isEqualTo(400);
            assertThat(asProtobuf.body()).as(path).contains("not a valid protobuf")
                    .contains("looks like JSON: send it with Content-Type: application/json");
            RawHttp.Response asJson = post(path, "application/json", protobuf);
            assertThat(asJson.status()).as("protobuf sent as JSON to %s: %s", path, asJson.body()).isEqualTo(400);
            assertThat(asJson.body()).as(path).contains("not a valid JSON")
                    .contains("if the body is protobuf, send it with Content-Type: application/x-protobuf");
            RawHttp.Response unlabelled = post(path, null, protobuf);  // no Content-Type is JSON
            assertThat(unlabelled.status()).as("protobuf with no Content-Type to %s", path).isEqualTo(400);
        }
        // labelled rightly, either way, the record is served
        assertThat(post("/v1/papers", "application/x-protobuf", protobuf).status()).isEqualTo(200);
        assertThat(post("/v1/papers", "application/json", json).status()).as("the same paper again: a replay")
                .isIn(200, 409);
    }
}
