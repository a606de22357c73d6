package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parameters of a media type are read, not dropped: a JSON body declared in another charset
 * was read as UTF-8 all the same, and a quality that is no qvalue ("1e999", "NaN") was whatever
 * Double.parseDouble made of it.
 */
class MediaTypeParametersTest {
    @TempDir
    Path dataDir;

    private Harness h;

    @BeforeEach
    void start() throws Exception {
        h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON);
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void aJsonBodyInACharsetOtherThanUtf8Is415NamingIt() {
        Identity node = Identity.generate();
        String json = Json.print(h.api.sign(node, NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                .setHost("127.0.0.1").setPort(7000).setTimeMs(h.clock.millis()).build()));
        ApiClient.Response utf16 = h.api.postRaw("/v1/announce", "application/json; charset=utf-16",
                json.getBytes(StandardCharsets.UTF_16));
        assertThat(utf16.status()).as(utf16.text()).isEqualTo(415);
        assertThat(utf16.error().getMessage()).contains("charset utf-16");
        ApiClient.Response latin1 = h.api.postRaw("/v1/announce", "application/json;charset=ISO-8859-1",
                json.getBytes(StandardCharsets.ISO_8859_1));
        assertThat(latin1.status()).as(latin1.text()).isEqualTo(415);
        // UTF-8, however it is spelled, is read as before
        h.api.postRaw("/v1/announce", "application/json; charset=\"UTF-8\"", json.getBytes(StandardCharsets.UTF_8)).ack();
    }

    @Test
    void aQualityThatIsNoQvalueCountsAsZero() throws Exception {
        for (String accept : new String[] {"application/x-protobuf;q=1e999", "application/x-protobuf;q=NaN",
                "application/x-protobuf;q=0x1p0", "application/x-protobuf;q=1f", "application/x-protobuf;q=1.5"}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send("GET /v1/stats HTTP/1.1\r\nHost: x\r\nAccept: " + accept + "\r\n\r\n").read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.headers().toLowerCase()).as(accept).contains("content-type: application/json");
            }
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send("GET /v1/stats HTTP/1.1\r\nHost: x\r\nAccept: application/x-protobuf;q=0.5\r\n\r\n")
                    .read();
            assertThat(r.headers().toLowerCase()).contains("content-type: application/x-protobuf");
        }
    }
}
