package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.Printable;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Round 25b of the hostile client (raw sockets): refusals whose message quotes what the client
 * sent. Netty's decoder quoted a header name, protobuf's JSON parser a field name and the envelope
 * check a record type as sent: a C1 CSI (0x9B), a bidirectional override or a line feed reached
 * whoever shows the message (the CLI, an agent's transcript), and a field name of 200,000 characters
 * came back whole. Each is still a 400 or 401 naming the problem, its message printable, one line,
 * and bounded.
 */
class ReflectedTextProbeTest {
    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json().into(started -> h = started);

    private RawHttp.Response send(byte[] request) throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(request).read();
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The refusal's message as a client reads it, after its JSON escapes are undone. */
    private static String message(RawHttp.Response response) throws Exception {
        return Json.parse(response.body(), Error.newBuilder()).getMessage();
    }

    private static void assertShowable(String message) {
        assertThat(Printable.firstUnsafe(message)).as("an unsafe character in: %s", message).isEqualTo(-1);
        assertThat(message).as("one line").doesNotContain("\n").doesNotContain("\t");
        assertThat(message.length()).as("bounded: %s", message.length()).isLessThanOrEqualTo(RefusalText.MAX_CHARS + 60);
    }

    @Test
    void aHeaderNameWithControlsIsRefusedWithoutSendingThemBack() throws Exception {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(utf8("GET /healthz HTTP/1.1\r\nHost: test\r\nX-\u009b31m\u202e\u001b[2J: 1\r\n\r\n"));
        RawHttp.Response response = send(request.toByteArray());
        assertThat(response.status()).isEqualTo(400);
        String message = message(response);
        assertThat(message).contains("header name");
        assertShowable(message);
    }

    @Test
    void aHugeUnknownJsonFieldNameIsNamedByItsStartNotSentBackWhole() throws Exception {
        String name = "\u009b31m" + "A".repeat(200_000) + "\u202e\ud83d\ude00";
        byte[] body = utf8("{\"" + name + "\": 1}");
        RawHttp.Response response = send(RawHttp.bytes("POST", "/v1/claim", "application/json", body));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body().length()).as("the reply's size").isLessThan(4096);
        String message = message(response);
        assertThat(message).contains("not a valid JSON").contains("\\u009b31mAAAA").contains("more chars)");
        assertShowable(message);
    }

    @Test
    void aRecordTypeWithALineFeedAndAnOverrideComesBackEscaped() throws Exception {
        byte[] body = utf8("{\"version\":1,\"type\":\"rhizome.v1.Claim\\nRequest\\u202e\\u0085\",\"payload\":\"\","
                + "\"signer\":\"\",\"signature\":\"\"}");
        RawHttp.Response response = send(RawHttp.bytes("POST", "/v1/claim", "application/json", body));
        assertThat(response.status()).as(response.body()).isIn(400, 401);
        String message = message(response);
        // The envelope's check names the type as any outside text in a message (LogSafe: \n for a line
        // feed); the refusal's own escaping then shows the override.
        assertThat(message).contains("rhizome.v1.Claim\\nRequest\\u202e\\u0085");
        assertShowable(message);
    }
}
