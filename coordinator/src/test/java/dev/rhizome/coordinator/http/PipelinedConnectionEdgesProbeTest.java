package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Round 23 of the hostile client (raw sockets): where a pipelined connection ends. Requests written
 * back to back in one write are answered in order up to the one that ends the connection
 * ({@code Connection: close}, or HTTP/1.0 without {@code keep-alive}), which is answered saying
 * so, and nothing after it is answered; an option that only looks like {@code close} keeps the
 * connection; {@code Expect: 100-continue} with its body already sent, then a read, gets its
 * {@code 100}, its answer, then the read's.
 */
class PipelinedConnectionEdgesProbeTest {
    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json().into(started -> h = started);

    private static String get(String path, String version, String fields) {
        return "GET " + path + " " + version + "\r\nHost: x\r\n" + fields + "\r\n";
    }

    private static boolean says(RawHttp.Response r, String connection) {
        return r.headers().toLowerCase(Locale.ROOT).contains("connection: " + connection);
    }

    @Test
    void aCloseInTheMiddleOfAPipelineIsTheLastAnswer() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(get("/healthz", "HTTP/1.1", "") + get("/healthz", "HTTP/1.1", "Connection: close\r\n")
                    + get("/v1/stats", "HTTP/1.1", ""));
            assertThat(raw.read().status()).isEqualTo(200);
            RawHttp.Response closing = raw.read();
            assertThat(closing.status()).isEqualTo(200);
            assertThat(says(closing, "close")).as(closing.headers()).isTrue();
            assertThat(raw.closedByServer()).as("the request after the close is not answered").isTrue();
        }
        for (String spelling : new String[] {"CLOSE", "  close  ", "close,", ",close", "upgrade, close"}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                raw.send(get("/healthz", "HTTP/1.1", "Connection: " + spelling + "\r\n") + get("/healthz", "HTTP/1.1", ""));
                assertThat(raw.read().status()).isEqualTo(200);
                assertThat(raw.closedByServer()).as("'%s' closes", spelling).isTrue();
            }
        }
    }

    @Test
    void oneConnectionIsAnsweredABoundedNumberOfRequestsThenToldItCloses() throws Exception {
        // One connection sending requests forever was never idle, so never closed: its place under
        // its address's cap, and its buffers, were held for good. The last of its budget's replies
        // says "close", and what was pipelined after it is not answered (the client resends it).
        int budget = CoordinatorLimits.DEFAULT_REQUESTS_PER_CONNECTION;
        String batch = get("/healthz", "HTTP/1.1", "").repeat(100);
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            for (int sent = 0; sent < budget; sent += 100) {
                raw.send(batch);
                for (int i = 1; i <= 100; i++) {
                    RawHttp.Response r = raw.read();
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(says(r, "close")).as("reply %d", sent + i).isEqualTo(sent + i == budget);
                }
            }
            assertThat(raw.closedByServer()).isTrue();
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            assertThat(raw.send(get("/healthz", "HTTP/1.1", "")).read().status()).as("a new one is served").isEqualTo(200);
        }
        assertThat(h.api.get("/metrics").text()).as("counted for the operator, by reason")
                .contains("rhizome_connections_closed_total{reason=\"request_budget\"} 1.0");
    }

    @Test
    void anOptionThatOnlyLooksLikeCloseKeepsTheConnection() throws Exception {
        for (String fields : new String[] {"Connection: closed\r\n", "Connection:\r\n", "Connection: keep-alive\r\n"}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                raw.send(get("/healthz", "HTTP/1.1", fields) + get("/healthz", "HTTP/1.1", ""));
                assertThat(raw.read().status()).isEqualTo(200);
                assertThat(raw.read().status()).as("the second of '%s'", fields.strip()).isEqualTo(200);
                assertThat(raw.closedWithin(Duration.ofMillis(200))).as("'%s' keeps the connection", fields.strip()).isFalse();
            }
        }
    }

    @Test
    void http10KeepsItsConnectionOnlyWhileEachRequestAsks() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(get("/healthz", "HTTP/1.0", "Connection: keep-alive\r\n") + get("/healthz", "HTTP/1.0", "Connection: Keep-Alive\r\n")
                    + get("/healthz", "HTTP/1.0", "") + get("/v1/stats", "HTTP/1.0", "Connection: keep-alive\r\n"));
            for (int i = 0; i < 2; i++) {
                RawHttp.Response kept = raw.read();
                assertThat(kept.status()).isEqualTo(200);
                assertThat(says(kept, "keep-alive")).as("an HTTP/1.0 client is told its connection is kept").isTrue();
            }
            RawHttp.Response last = raw.read();
            assertThat(last.status()).isEqualTo(200);
            assertThat(says(last, "keep-alive")).isFalse();
            assertThat(raw.closedByServer()).as("HTTP/1.0 without keep-alive ends the connection").isTrue();
        }
    }

    @Test
    void expectContinueWithItsBodyAlreadySentIsAnsweredAndSoIsWhatFollows() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send("POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                    + "Expect: 100-continue\r\n\r\n{}" + get("/healthz", "HTTP/1.1", ""));
            assertThat(raw.readHeadOnly().status()).isEqualTo(100);
            RawHttp.Response refused = raw.read();
            assertThat(refused.status()).as(refused.body()).isEqualTo(400);  // an empty envelope is malformed
            assertThat(raw.read().status()).as("the read pipelined after it").isEqualTo(200);
            assertThat(raw.closedWithin(Duration.ofMillis(200))).isFalse();
        }
        assertThat(h.units("LEASED").getUnitsCount()).as("nothing leased").isZero();
    }
}
