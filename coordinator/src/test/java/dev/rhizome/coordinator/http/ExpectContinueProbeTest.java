package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.RawHttp;
import org.junit.jupiter.api.Test;

/**
 * "Expect: 100-continue" on a request that has no body to send (round 24, raw sockets): a GET, a
 * HEAD, a POST with "Content-Length: 0". Each was told "100 Continue" before its answer, an interim
 * response for a body that never comes, which a client that did not expect one (it asked only
 * because its library always does) reads as the answer. RFC 9110 10.1.1: the 100 tells a client
 * to send its content; where there is none the final answer is the only one. A body that is to
 * come (a length, or chunks) is still told to go on, and one past the limit is 413 unread.
 */
class ExpectContinueProbeTest extends SeededCoordinatorTest {
    private static final String EXPECT = "Host: x\r\nExpect: 100-continue\r\n";

    @Test
    void aRequestWithNoBodyToSendGetsItsAnswerAndNoHundredContinue() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response get = raw.send("GET /healthz HTTP/1.1\r\n" + EXPECT + "\r\n").read();
            assertThat(get.status()).as("a GET's first answer").isEqualTo(200);
            assertThat(get.body()).isEqualTo("ok");
            RawHttp.Response head = raw.send("HEAD /v1/stats HTTP/1.1\r\n" + EXPECT + "\r\n").readHeadOnly();
            assertThat(head.status()).as("a HEAD's first answer").isEqualTo(200);
            // a write with an empty body is judged at once: an empty body is no signed record
            RawHttp.Response empty = raw.send("POST /v1/claim HTTP/1.1\r\n" + EXPECT
                    + "Content-Type: application/json\r\nContent-Length: 0\r\n\r\n").read();
            assertThat(empty.status()).as("an empty POST's first answer: %s", empty.body()).isBetween(400, 499);
            // and the connection is in step: the next answer is the next request's
            assertThat(raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").read().body()).isEqualTo("ok");
        }
        assertThat(h.units("LEASED").getUnitsCount()).as("nothing leased").isZero();
    }

    @Test
    void aBodyToComeIsToldToGoOnAndOnePastTheLimitIsRefusedUnread() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            assertThat(raw.send("POST /v1/claim HTTP/1.1\r\n" + EXPECT
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").readHeadOnly().status())
                    .as("chunks to come").isEqualTo(100);
            RawHttp.Response r = raw.send("2\r\n{}\r\n0\r\n\r\n").read();
            assertThat(r.status()).as("an empty envelope is malformed, not a forgery: %s", r.body()).isEqualTo(400);
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send("POST /v1/claim HTTP/1.1\r\n" + EXPECT
                    + "Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n").read();
            assertThat(r.status()).as("no 100 first: %s", r.body()).isEqualTo(413);
            assertThat(r.body()).contains("TOO_LARGE");
            assertThat(raw.closedByServer()).as("the body it might send anyway is not read").isTrue();
        }
    }

    /**
     * Round 28 left the answers to an expectation written the moment its head was read: after a
     * pipelined request still in progress, the client read the 413 (or the 100) as that request's
     * answer. Both requests go in one write, so the first is always still on a worker when the
     * second's head is judged.
     */
    @Test
    void answersToAnExpectationKeepTheirPlaceBehindPipelinedRequests() throws Exception {
        String stats = "GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n";
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(stats + "POST /v1/claim HTTP/1.1\r\n" + EXPECT
                    + "Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n");
            RawHttp.Response first = raw.read();
            assertThat(first.status()).as("the stats' answer first: %s", first.body()).isEqualTo(200);
            assertThat(first.body()).contains("network_id");
            RawHttp.Response refused = raw.read();
            assertThat(refused.status()).as(refused.body()).isEqualTo(413);
            assertThat(raw.closedByServer()).as("the body it might send anyway is not read").isTrue();
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(stats + "POST /v1/nowhere HTTP/1.1\r\n" + EXPECT
                    + "Content-Type: application/json\r\nContent-Length: 10\r\n\r\n");
            assertThat(raw.read().status()).as("the stats' answer first").isEqualTo(200);
            RawHttp.Response notFound = raw.read();
            assertThat(notFound.status()).as(notFound.body()).isEqualTo(404);
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(stats + "POST /v1/claim HTTP/1.1\r\n" + EXPECT
                    + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n");
            assertThat(raw.read().status()).as("the stats' answer first").isEqualTo(200);
            assertThat(raw.readHeadOnly().status()).as("then the claim's 100").isEqualTo(100);
            RawHttp.Response claim = raw.send("{}").read();
            assertThat(claim.status()).as(claim.body()).isEqualTo(400);
            assertThat(raw.send(stats).read().status()).as("and the connection in step").isEqualTo(200);
        }
        String metrics = h.api.get("/metrics").text();
        assertThat(metrics).as("refusals of heads are counted too")
                .contains("rhizome_refusals_total{reason=\"TOO_LARGE\",route=\"/v1/claim\"}")
                .contains("rhizome_refusals_total{reason=\"NOT_FOUND\",route=\"unknown\"}");
    }
}
