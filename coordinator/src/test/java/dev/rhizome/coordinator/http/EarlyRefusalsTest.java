package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refusals made before a request is whole, over real sockets on loopback: a HEAD's never carries a
 * body (its client reads one as the next response), and a chunked body is judged at each size line
 * as it arrives, not once a megabyte of it came or at the request timeout (30 s, past RawHttp's
 * 20 s read timeout, so an answer read here came before it).
 */
class EarlyRefusalsTest {
    private static final String CHUNKED_CLAIM = "POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n";

    @TempDir
    Path dataDir;

    private Harness h;

    @AfterEach
    void stop() {
        h.close();
    }

    private void start(CoordinatorLimits limits) throws Exception {
        h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON, limits);
    }

    @Test
    void aHeadNotWholeInTimeGets408WithoutABody() throws Exception {
        // The 408 was judged on raw bytes, before the method was read, and always carried its body
        start(CoordinatorLimits.defaults().withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(120)));
        for (String partial : new String[] {"HEAD /v1/results HTTP/1.1\r\nHost: x\r\n", "HEAD /v1/res", "\r\nHE"}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(partial).readHeadOnly();
                assertThat(r.status()).as(partial).isEqualTo(408);
                assertThat(raw.closedByServer()).as("no body followed the headers of " + partial).isTrue();
            }
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            // a HEAD begun in the same read as the request before it
            raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /v1/stats HTTP/1.1\r\nHost: x\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
            assertThat(raw.readHeadOnly().status()).isEqualTo(408);
            assertThat(raw.closedByServer()).isTrue();
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response get = raw.send("GET /v1/results HTTP/1.1\r\nHost: x\r\n").read();
            assertThat(get.status()).isEqualTo(408);
            assertThat(get.body()).as("any other method still reads why").contains("not received within 2 s");
        }
    }

    @Test
    void aHeadCutShortOrUnreadableGetsItsRefusalWithoutABody() throws Exception {
        start(CoordinatorLimits.defaults());
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send("HEAD /v1/results HTTP/1.1\r\nHost: x\r\n");
            raw.shutdownOutput();
            assertThat(raw.readHeadOnly().status()).isEqualTo(400);
            assertThat(raw.closedByServer()).as("no body after the cut-short HEAD's refusal").isTrue();
        }
        // a request line the decoder cannot read was answered as the GET it defaults to
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            assertThat(raw.send("HEAD /v1/results HTTP/1.1 x\r\nHost: x\r\n\r\n").readHeadOnly().status()).isEqualTo(400);
            assertThat(raw.closedByServer()).isTrue();
        }
    }

    @Test
    void aChunkDeclaringMoreThanTheBodyLimitIs413AtItsSizeLine() throws Exception {
        start(CoordinatorLimits.defaults());
        // "7fffffff" was taken whole, then its data read until 1 MiB had come or the request timed out
        for (String sizes : new String[] {"7fffffff", "7fffffff\r\n", "96000\r\n" + "x".repeat(600 * 1024) + "\r\n96000"}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(CHUNKED_CLAIM + sizes).read();
                assertThat(r.status()).as(sizes.substring(0, 8)).isEqualTo(413);
                assertThat(r.body()).contains("TOO_LARGE").contains("request body exceeds 1048576 bytes");
                assertThat(raw.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void aMalformedChunkSizeLineIs400AtTheByteThatIsWrong() throws Exception {
        start(CoordinatorLimits.defaults());
        // each was read on until its line ended (or was 4 KB long), or the request timed out
        String[][] cases = {{"zz", "in a chunk size, which is hex digits"}, {"5 x", "after a chunk size"}, {"5\n", "byte 0x0a"},
            {"2\r\n{}xx", "not CRLF"}};
        for (String[] c : cases) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(CHUNKED_CLAIM + c[0]).read();
                assertThat(r.status()).as(c[0]).isEqualTo(400);
                assertThat(r.body()).as(c[0]).contains("malformed HTTP request").contains(c[1]);
                assertThat(raw.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void honestChunkedBodiesAreReadAsBeforeWhateverTheReadsCarry() throws Exception {
        start(CoordinatorLimits.defaults());
        String body = "1;a=b\r\n{\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n";
        // all in one write, with the next request after it: the framing is followed to the byte
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(CHUNKED_CLAIM + body + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().body()).as("the envelope inside was read: unsigned").contains("no version");
            assertThat(raw.read().status()).isEqualTo(200);
        }
        // a byte at a time
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            for (char c : (CHUNKED_CLAIM + body).toCharArray()) {
                raw.send(String.valueOf(c));
            }
            assertThat(raw.read().body()).contains("no version");
        }
        // a body of exactly the limit, declared in one chunk
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send(CHUNKED_CLAIM + "100000\r\n" + " ".repeat(1 << 20) + "\r\n0\r\n\r\n").read();
            assertThat(r.status()).as(r.body()).isNotEqualTo(413);
        }
    }
}
