package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Round 27 of the hostile client (raw sockets): a Host field of 2,000 characters, well inside the
 * 8 KiB of header lines, closed the connection with no answer at all (the pattern that read it
 * recursed once per character and overflowed the event loop's stack), and so did an absolute-form
 * target's long authority. A long host is answered like any other, and one that is not a host is
 * refused naming the Host field.
 */
class LongHostsTest {
    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json().into(started -> h = started);

    private RawHttp.Response exchange(String request) throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(request).read();
        }
    }

    @Test
    void aLongHostIsAnswered() throws Exception {
        for (String host : new String[] {"a".repeat(2_000), "a".repeat(4_000) + ":8080", "%41".repeat(1_300),
                "[" + "0:".repeat(2_000) + "1]:1"}) {
            RawHttp.Response r = exchange("GET /healthz HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
            assertThat(r.status()).as("a Host of %d characters", host.length()).isEqualTo(200);
        }
        RawHttp.Response absolute = exchange("GET http://" + "b".repeat(3_000) + "/v1/stats HTTP/1.1\r\nHost: "
                + "b".repeat(3_000) + "\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(absolute.status()).as("an absolute-form target's long authority").isEqualTo(200);
        assertThat(absolute.body()).contains("network_id");
    }

    @Test
    void aLongHostThatIsNoHostIsRefusedNamingIt() throws Exception {
        for (String host : new String[] {"a".repeat(3_000) + " b", "a".repeat(3_000) + "%4", "a".repeat(3_000) + ":65536",
                "a".repeat(3_000) + ":8x", "[" + "1".repeat(3_000) + "]x"}) {
            RawHttp.Response r = exchange("GET /healthz HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
            assertThat(r.status()).as("a Host of %d characters ending %s", host.length(),
                    host.substring(host.length() - 3)).isEqualTo(400);
            assertThat(r.body()).contains("Host header").contains("is not a host and optional port");
        }
    }

    @Test
    void aHostIsAHostAndAnOptionalPort() {
        for (String host : new String[] {"", "x", "x:", "x:0", "x:65535", "127.0.0.1:80", "[::1]", "[::1]:443",
                "[fe80::1%25eth0]", "a%2Fb", "x-y.example_~!$&'()*+,;="}) {
            assertThat(MessageRules.isHost(host)).as("'%s'", host).isTrue();
        }
        for (String host : new String[] {"x:65536", "x:99999999999999999999", "x:-1", "x:8x", "a b", "u@a", "a/b",
                "%", "%4", "%G1", "[]", "[::1", "[::1]x", "[::1]:x", "x:1:2", "caf\u00e9"}) {
            assertThat(MessageRules.isHost(host)).as("'%s'", host).isFalse();
        }
    }
}
