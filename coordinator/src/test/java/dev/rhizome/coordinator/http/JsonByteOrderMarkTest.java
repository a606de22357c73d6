package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A JSON body may start with one UTF-8 byte order mark, which is ignored (RFC 8259, 8.1: a sender
 * must not add one, a parser may ignore it; editors and PowerShell on Windows write one at the
 * start of a UTF-8 file). A second, or a mark alone, is malformed JSON.
 */
class JsonByteOrderMarkTest extends SeededCoordinatorTest {
    @Test
    void aJsonBodyMayStartWithOneByteOrderMark() throws Exception {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        RawHttp.Response marked = post(concat(bom, claim()));
        assertThat(marked.status()).as("one mark is ignored: " + marked.body()).isEqualTo(200);
        RawHttp.Response twice = post(concat(concat(bom, bom), claim()));
        assertThat(twice.status()).as("a second is a character no JSON text starts with").isEqualTo(400);
        assertThat(twice.body()).contains("body is not a valid JSON rhizome.v1.SignedEnvelope");
        RawHttp.Response alone = post(bom);
        assertThat(alone.status()).as(alone.body()).isEqualTo(400);
        RawHttp.Response labelled = post(concat(bom, claim()), "application/x-protobuf");
        assertThat(labelled.status()).isEqualTo(400);
        assertThat(labelled.body()).as("JSON after a mark is JSON").contains("send it with Content-Type: application/json");
    }

    private RawHttp.Response post(byte[] body) throws Exception {
        return post(body, "application/json");
    }

    private RawHttp.Response post(byte[] body, String type) throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(RawHttp.bytes("POST", "/v1/claim", type, body)).read();
        }
    }

    private byte[] claim() {
        Identity node = Identity.generate();
        return Json.print(h.api.sign(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce())
                .addKinds(WorkUnit.Kind.EVALUATE).build())).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
