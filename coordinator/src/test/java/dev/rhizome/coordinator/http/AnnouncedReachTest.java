package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real coordinator on loopback behind a listed proxy (127.0.0.1), so that a request can come from
 * a public or a LAN address: every node that asks for peers dials what was announced, so a client
 * may announce no address narrower than its own.
 */
class AnnouncedReachTest {
    @TempDir
    Path dataDir;

    @Test
    void aPublicClientAnnouncingLoopbackPrivateOrLinkLocalIsRefusedAndNotListed() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dataDir).withTrustedProxies(List.of("127.0.0.1")))) {
            for (String host : List.of("127.0.0.1", "localhost", "10.0.0.1", "192.168.0.1", "169.254.169.254", "fe80::1",
                    "fd00::1")) {
                RawHttp.Response refused = announce(c, host, "81.2.69.5");
                assertThat(refused.status()).as(host).isEqualTo(400);
                assertThat(refused.body()).as(host).contains("host \\u0027" + host + "\\u0027").contains("narrower than the public address");
            }
            assertThat(nodes(c)).doesNotContain("7000");

            assertThat(announce(c, "81.2.69.5", "81.2.69.5").status()).isEqualTo(200);
            assertThat(announce(c, "node.example", "81.2.69.6").status()).isEqualTo(200);
            assertThat(nodes(c)).contains("81.2.69.5").contains("node.example").doesNotContain("127.0.0.1", "10.0.0.1");
        }
    }

    @Test
    void aLanClientMayAnnounceItsLanAddressAndALoopbackClientLoopback() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dataDir).withTrustedProxies(List.of("127.0.0.1")))) {
            assertThat(announce(c, "192.168.1.7", "10.0.0.9").status()).isEqualTo(200);
            RawHttp.Response loopback = announce(c, "127.0.0.1", "10.0.0.9");
            assertThat(loopback.status()).isEqualTo(400);
            assertThat(loopback.body()).contains("loopback").contains("private address");
            // no forwarded header: the request came from loopback, as every test network's nodes do
            assertThat(announce(c, "127.0.0.1", null).status()).isEqualTo(200);
        }
    }

    private static RawHttp.Response announce(Coordinator c, String host, String forwardedFor) throws Exception {
        Identity node = Identity.generate();
        byte[] body = Envelopes.sign(node, new ApiClient(c.url(), ApiClient.Format.PROTOBUF, Clock.systemUTC()).network(), NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                .setHost(host).setPort(7000).setHardwareClass("cpu").setTimeMs(System.currentTimeMillis()).build())
                .toByteArray();
        String head = "POST /v1/announce HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                + (forwardedFor == null ? "" : "X-Forwarded-For: " + forwardedFor + "\r\n")
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        try (RawHttp raw = new RawHttp(c.url(), "127.0.0.1")) {
            return raw.send(head).send(body).read();
        }
    }

    private static String nodes(Coordinator c) throws Exception {
        try (RawHttp raw = new RawHttp(c.url(), "127.0.0.1")) {
            return raw.send("GET /v1/nodes HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n")
                    .read().body();
        }
    }
}
