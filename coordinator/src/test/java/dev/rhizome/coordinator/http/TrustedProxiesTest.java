package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.LogCapture;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * X-Forwarded-For is believed from listed proxies only (opt-in), and from them only for the hops
 * they appended: behind a proxy every client used to be one address (one worker share, one
 * address's daily writes), and believing the header from anyone would let a client pick its own.
 */
class TrustedProxiesTest {
    @TempDir
    Path dataDir;

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void onlyAListedProxysHeaderIsReadAndOnlyItsRightmostUntrustedHop() throws Exception {
        TrustedProxies proxies = TrustedProxies.of(List.of("10.0.0.0/8", "::1", "192.0.2.1"));
        // not a proxy: the header is the client's own word
        assertThat(proxies.client(ip("203.0.113.5"), List.of("198.51.100.7"))).isEqualTo(ip("203.0.113.5"));
        // a proxy: the hop it appended
        assertThat(proxies.client(ip("10.1.2.3"), List.of("198.51.100.7"))).isEqualTo(ip("198.51.100.7"));
        // what the client wrote to the left of the proxies' hops is not believed
        assertThat(proxies.client(ip("10.1.2.3"), List.of("1.1.1.1, 198.51.100.7, 10.9.9.9")))
                .isEqualTo(ip("198.51.100.7"));
        // several header lines are one list, in order
        assertThat(proxies.client(ip("::1"), List.of("1.1.1.1", "2001:db8::7"))).isEqualTo(ip("2001:db8::7"));
        // a hop that is not a literal address ends the walk at the last one a proxy vouched for
        assertThat(proxies.client(ip("10.1.2.3"), List.of("198.51.100.7, evil.example, 10.9.9.9")))
                .isEqualTo(ip("10.9.9.9"));
        assertThat(proxies.client(ip("10.1.2.3"), List.of("unknown"))).isEqualTo(ip("10.1.2.3"));
        assertThat(proxies.client(ip("10.1.2.3"), List.of())).isEqualTo(ip("10.1.2.3"));
        // nothing listed: the header is ignored whoever sends it
        assertThat(TrustedProxies.NONE.client(ip("10.1.2.3"), List.of("198.51.100.7"))).isEqualTo(ip("10.1.2.3"));
        assertThat(proxies.trusts(ip("192.0.2.1"))).isTrue();
        assertThat(proxies.trusts(ip("192.0.2.2"))).isFalse();
    }

    @Test
    void aBadEntryIsNamed() {
        assertThatThrownBy(() -> TrustedProxies.of(List.of("10.0.0.0/33"))).hasMessageContaining("10.0.0.0/33")
                .hasMessageContaining("prefix length must be 0-32");
        assertThatThrownBy(() -> TrustedProxies.of(List.of("proxy.example"))).hasMessageContaining("proxy.example")
                .hasMessageContaining("not a literal IP address");
        assertThatThrownBy(() -> TrustedProxies.of(List.of("999.1.1.1"))).hasMessageContaining("999.1.1.1");
        assertThatThrownBy(() -> CoordinatorConfig.defaults(dataDir).withTrustedProxies(List.of("fd00::/129")))
                .hasMessageContaining("0-128");
    }

    @Test
    void forwardedIsReadByTheSameRuleWhenTheOperatorNamesIt() throws Exception {
        TrustedProxies proxies = TrustedProxies.of(List.of("10.0.0.0/8", "::1"), TrustedProxies.Header.FORWARDED);
        assertThat(proxies.header()).isEqualTo("Forwarded");
        assertThat(proxies.client(ip("10.1.2.3"), List.of("for=198.51.100.7"))).isEqualTo(ip("198.51.100.7"));
        // quoted IPv6 with a port, other parameters beside for=, the token case-insensitive
        assertThat(proxies.client(ip("10.1.2.3"), List.of("For=\"[2001:db8:cafe::17]:4711\";proto=https;by=10.0.0.1")))
                .isEqualTo(ip("2001:db8:cafe::17"));
        assertThat(proxies.client(ip("10.1.2.3"), List.of("for=\"198.51.100.7:47011\""))).isEqualTo(ip("198.51.100.7"));
        // the rightmost hop not a listed proxy; what the client wrote to its left is not believed
        assertThat(proxies.client(ip("10.1.2.3"), List.of("for=1.1.1.1, for=198.51.100.7", "for=10.9.9.9")))
                .isEqualTo(ip("198.51.100.7"));
        // a comma inside a quoted value does not split the element
        assertThat(proxies.client(ip("10.1.2.3"), List.of("for=1.1.1.1;host=\"a,b\", for=198.51.100.8")))
                .isEqualTo(ip("198.51.100.8"));
        // obfuscated, unknown, no for=, bare IPv6 (the grammar brackets it), two for=, not a
        // parameter: each ends the walk at the last hop a proxy vouched for
        for (String line : List.of("for=_hidden", "for=unknown", "proto=https", "for=2001:db8::1",
                "for=198.51.100.7;for=1.1.1.1", "garbage")) {
            assertThat(proxies.client(ip("10.1.2.3"), List.of(line))).as(line).isEqualTo(ip("10.1.2.3"));
            assertThat(proxies.client(ip("10.1.2.3"), List.of("for=203.0.113.9, " + line + ", for=10.9.9.9")))
                    .as(line).isEqualTo(ip("10.9.9.9"));
        }
        // a quote a client leaves open swallows the hops after it, the proxy's too: the request is
        // counted as the proxy, never as an address the client wrote
        for (String line : List.of("for=\"[2001:db8::1", "for=\"198.51.100.7")) {
            assertThat(proxies.client(ip("10.1.2.3"), List.of(line + ", for=198.51.100.7"))).as(line)
                    .isEqualTo(ip("10.1.2.3"));
        }
        assertThatThrownBy(() -> TrustedProxies.Header.named("X-Real-IP")).hasMessageContaining("trusted_proxy_header")
                .hasMessageContaining("X-Real-IP").hasMessageContaining("Forwarded");
        assertThat(TrustedProxies.Header.named("forwarded")).isEqualTo(TrustedProxies.Header.FORWARDED);
    }

    /**
     * Behind a proxy that writes Forwarded, each client is counted as the address the proxy
     * appended, and a client writing X-Forwarded-For itself (which that proxy passes on untouched)
     * picks nothing; nor does a client sending either header to the coordinator directly.
     */
    @Test
    void behindAProxyWritingForwardedNeitherHeaderIsTheClientsToForge() throws Exception {
        WriteQuota.Limits limits = WriteQuota.Limits.defaults()
                .with(WriteQuota.Kind.NEW_NODES, new WriteQuota.Limit(0, 1, 100, 0));
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dataDir)
                .withLimits(CoordinatorLimits.defaults().withDailyWrites(limits))
                .withTrustedProxies(List.of("127.0.0.1")).withTrustedProxyHeader(TrustedProxies.Header.FORWARDED))) {
            assertThat(announce(c, "127.0.0.1", "Forwarded", "for=\"[2001:db8::7]:5000\"").status()).isEqualTo(200);
            RawHttp.Response again = announce(c, "127.0.0.1", "Forwarded", "for=1.2.3.4, for=\"[2001:db8::7]:6000\"");
            assertThat(again.status()).as("the same client, whatever it wrote to the left").isEqualTo(429);
            assertThat(again.body()).contains("this address");
            assertThat(announce(c, "127.0.0.1", "Forwarded", "for=198.51.100.8").status()).isEqualTo(200);
            // the proxy's Forwarded names the client; the X-Forwarded-For the client wrote is not read
            assertThat(announce(c, "127.0.0.1", "Forwarded", "for=198.51.100.8\r\nX-Forwarded-For: 203.0.113.1")
                    .status()).isEqualTo(429);
            // not a listed proxy: neither header is believed, it is counted as itself
            assertThat(announce(c, "127.0.0.2", "Forwarded", "for=198.51.100.9").status()).isEqualTo(200);
            assertThat(announce(c, "127.0.0.2", "X-Forwarded-For", "198.51.100.10").status()).isEqualTo(429);
        }
    }

    private RawHttp.Response announce(Coordinator c, String from, String forwardedFor) throws Exception {
        return announce(c, from, "X-Forwarded-For", forwardedFor);
    }

    private RawHttp.Response announce(Coordinator c, String from, String header, String forwardedFor) throws Exception {
        Identity node = Identity.generate();
        byte[] body = Envelopes.sign(node, new ApiClient(c.url(), ApiClient.Format.PROTOBUF, Clock.systemUTC()).network(), NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                // a name: the clients behind the proxy are public addresses, and may not announce loopback
                .setHost("node.example").setPort(7000).setHardwareClass("cpu").setTimeMs(System.currentTimeMillis()).build())
                .toByteArray();
        String head = "POST /v1/announce HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                + (forwardedFor == null ? "" : header + ": " + forwardedFor + "\r\n")
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        try (RawHttp raw = new RawHttp(c.url(), from)) {
            return raw.send(head).send(body).read();
        }
    }

    @Test
    void behindAListedProxyEachClientIsCountedAsItself() throws Exception {
        WriteQuota.Limits limits = WriteQuota.Limits.defaults()
                .with(WriteQuota.Kind.NEW_NODES, new WriteQuota.Limit(0, 1, 100, 0));
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dataDir)
                .withLimits(CoordinatorLimits.defaults().withDailyWrites(limits))
                .withTrustedProxies(List.of("127.0.0.1")))) {
            assertThat(announce(c, "127.0.0.1", "198.51.100.7").status()).isEqualTo(200);
            RawHttp.Response again = announce(c, "127.0.0.1", "198.51.100.7");
            assertThat(again.status()).isEqualTo(429);
            assertThat(again.body()).contains("this address");
            // another client behind the same proxy has its own share
            assertThat(announce(c, "127.0.0.1", "10.0.0.1, 198.51.100.8").status()).isEqualTo(200);
            // not a listed proxy: its header is ignored and it is counted as itself
            assertThat(announce(c, "127.0.0.2", "198.51.100.9").status()).isEqualTo(200);
            assertThat(announce(c, "127.0.0.2", "198.51.100.10").status()).isEqualTo(429);
        }
    }

    /**
     * nginx on the coordinator's machine, not listed: it works, but every volunteer is loopback,
     * so replicas of a trial are not kept on distinct networks. Nothing said so until round 29; the
     * operator is now told once per proxy, and a client on the internet writing the header (no
     * proxy) or a listed proxy is no cause.
     */
    @Test
    void aProxyOnTheCoordinatorsMachineThatIsNotListedIsNamedOnce() throws Exception {
        try (LogCapture log = new LogCapture();
                Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dataDir)
                        .withTrustedProxies(List.of("127.0.0.2")))) {
            assertThat(announce(c, "127.0.0.2", "198.51.100.7").status()).isEqualTo(200);
            assertThat(announce(c, "127.0.0.1", null).status()).isEqualTo(200);
            assertThat(log.warningsMentioning("trusted_proxies")).as("a listed proxy, or no header").isEmpty();
            assertThat(announce(c, "127.0.0.1", "198.51.100.8").status()).isEqualTo(200);
            assertThat(announce(c, "127.0.0.1", "198.51.100.9").status()).isEqualTo(200);
            assertThat(log.warningsMentioning("is not in trusted_proxies")).hasSize(1).first().asString()
                    .contains("127.0.0.1").contains("no network at all");
        }
        TrustedProxies none = TrustedProxies.of(List.of());
        assertThat(none.leavesOut(ip("81.2.69.5"), List.of("198.51.100.7"))).as("a client on the internet").isFalse();
        assertThat(none.leavesOut(ip("10.1.2.3"), List.of("198.51.100.7"))).as("a proxy on the LAN").isTrue();
        assertThat(none.leavesOut(ip("10.1.2.3"), List.of())).isFalse();
    }
}
