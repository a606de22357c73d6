package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.PrometheusText;
import dev.rhizome.coordinator.support.RawHttp;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A request to a route that takes a body, whose head frames none (neither Content-Length nor
 * Transfer-Encoding): RFC 9112, 6.3 reads its body as empty, so what its client sends after the head
 * anyway would be read as the next request. It is {@code 411}, counted, and the connection closes
 * unread.
 */
class LengthRequiredTest extends SeededCoordinatorTest {
    /** Sent after each head: answered ("ok") only where the connection is kept. */
    private static final String NEXT = "GET /healthz?next=1 HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(20);

    @Test
    void aHeadThatFramesNoBodyIs411OnEveryRouteTakingOneAndWhatFollowsIsNotRead() throws Exception {
        for (String path : RouteTable.paths("POST")) {
            for (String version : new String[] {"HTTP/1.1", "HTTP/1.0"}) {
                double before = refusals(path, "BAD_REQUEST");
                try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                    // the body a client sends anyway, and a request after it: neither is read
                    raw.send("POST " + path + " " + version + "\r\nHost: x\r\nContent-Type: application/json\r\n\r\n{}"
                            + NEXT);
                    RawHttp.Response r = raw.read();
                    assertThat(r.status()).as(path + " " + version + ": " + r.body()).isEqualTo(411);
                    assertThat(r.body()).contains("POST " + path + " takes a body")
                            .contains("neither Content-Length nor Transfer-Encoding");
                    assertThat(r.headers()).containsIgnoringCase("\r\nconnection: close\r\n");
                    assertThat(raw.closedWithin(CLOSE_WAIT)).as(path + ": closed, nothing after the head read").isTrue();
                }
                // counted before the answer was sent: the scrape right after it finds it
                assertThat(refusals(path, "BAD_REQUEST")).as(path + " counted").isEqualTo(before + 1);
            }
        }
        assertThat(h.units("LEASED").getUnitsCount()).as("nothing leased").isZero();
        assertThat(exchange(NEXT).body()).as("the coordinator serves on").isEqualTo("ok");
    }

    @Test
    void aHeadThatFramesAnEmptyBodyOrIsRefusedAnywayKeepsItsAnswer() throws Exception {
        String[][] cases = {
            // framed, and empty: the body's fault, as ever (the connection is in step)
            {"POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "400", "the body is empty"},
            {"POST /v1/claim HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400", "the body is empty"},
            // no route takes a body here: the route's answer, not 411
            {"POST /v1/nowhere HTTP/1.1\r\nHost: x\r\n\r\n", "404", "no route /v1/nowhere"},
            {"POST /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n", "405", "does not accept POST"},
            {"PUT /v1/claim HTTP/1.1\r\nHost: x\r\n\r\n", "405", "does not accept PUT"},
            {"PATCH /v1/claim HTTP/1.1\r\nHost: x\r\n\r\n", "405", "does not accept PATCH"},
        };
        for (String[] c : cases) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(c[0] + NEXT).read();
                assertThat(r.status()).as(c[0] + r.body()).isEqualTo(Integer.parseInt(c[1]));
                assertThat(r.body()).as(c[0]).contains(c[2]);
                assertThat(raw.read().body()).as(c[0] + ": the next request, as its own").isEqualTo("ok");
            }
        }
    }

    @Test
    void itIsAnsweredInItsPlaceWithNoHundredContinue() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\nPOST /v1/results HTTP/1.1\r\nHost: x\r\n"
                    + "Expect: 100-continue\r\n\r\n" + NEXT);
            assertThat(raw.read().status()).as("the read before it, first").isEqualTo(200);
            RawHttp.Response r = raw.read();
            assertThat(r.status()).as("no 100 Continue for a body it has not framed: " + r.body()).isEqualTo(411);
            assertThat(raw.closedWithin(CLOSE_WAIT)).as("the request after it is not read").isTrue();
        }
    }

    /** rhizome_refusals_total for this route and reason, from the coordinator's /metrics. */
    private double refusals(String route, String reason) throws Exception {
        PrometheusText scrape = PrometheusText.parse(exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").body());
        return scrape.samples("rhizome_refusals_total").stream()
                .filter(s -> s.labels().equals(Map.of("route", route, "reason", reason)))
                .mapToDouble(PrometheusText.Sample::value).sum();
    }
}
