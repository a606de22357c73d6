package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.support.RawHttp;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Several requests in one write, the middle one refused, the one before it still being worked on
 * when the refusal is made: whatever refuses it (the request line, the head's framing, a head past
 * its bounds, a method or version, an escape, the route), its answer comes after the answer to the
 * request before it, in its place; then the connection either closes, the request after it never
 * answered, or answers that one as its own. Never an answer out of order, which a client (or a
 * proxy pooling the connection) would pair with the wrong request. {@link PipelinedRefusalsOrderTest}
 * holds this for the body's refusals.
 */
class PipelinedHeadRefusalsOrderTest {
    private static final String SLOW = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final String POST = "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";

    /**
     * A request refused, the status it gets, and whether its answer closes the connection: a refusal
     * of how the request was sent closes (the decoder reads nothing after it), a refusal of what a
     * request framed as it should be asks keeps it, the request after it served as its own (docs/api.md,
     * "Which refusals close the connection"). "No Host" was held to what its answer said only, and
     * once seen "not closed": the close came after RawHttp's 200 ms wait on a loaded machine.
     */
    private record Case(String name, String request, int status, boolean closes) {
    }

    private static final List<Case> CASES = List.of(
            new Case("Content-Length with Transfer-Encoding", POST + "Content-Length: 5\r\nTransfer-Encoding: chunked"
                    + "\r\n\r\n0\r\n\r\n", 400, true),
            new Case("two Content-Lengths that differ", POST + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
                    400, true),
            new Case("Transfer-Encoding: xchunked", POST + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400, true),
            new Case("Transfer-Encoding: chunked, identity", POST + "Transfer-Encoding: chunked, identity\r\n\r\n"
                    + "0\r\n\r\n", 400, true),
            new Case("a folded header line", "GET /slow HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400, true),
            new Case("a head of bare LFs", "GET /slow HTTP/1.1\nHost: x\n\n", 400, true),
            new Case("a tab in the request line", "GET\t/slow HTTP/1.1\r\nHost: x\r\n\r\n", 400, true),
            new Case("a request line past its bound", "GET /" + "a".repeat(5_000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                    414, true),
            new Case("a header past its bound", "GET /slow HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(5_000)
                    + "\r\n\r\n", 431, true),
            new Case("HTTP/2's preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, true),
            new Case("HTTP/0.9", "GET /slow\r\n", 400, true),
            // framed as having no body, nothing after it can be read another way: kept
            new Case("a method HTTP does not define", "BREW /slow HTTP/1.1\r\nHost: x\r\n\r\n", 501, false),
            new Case("a body on a method HTTP does not define", "BREW /slow HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Length: 2\r\n\r\n{}", 501, true),
            new Case("a chunk size past every integer", POST + "Transfer-Encoding: chunked\r\n\r\n1" + "0".repeat(30)
                    + "\r\n", 413, true),
            new Case("an escape that is not UTF-8", "GET /slow?a=%C0%AF HTTP/1.1\r\nHost: x\r\n\r\n", 400, true),
            new Case("no Host", "GET /slow HTTP/1.1\r\n\r\n", 400, true),
            new Case("no route", "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404, false),
            new Case("a method the route does not take", "PUT /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                    405, false));

    private HttpServer server;

    @BeforeEach
    void start() throws Exception {
        Router router = new Router().get("/slow", r -> {
            try {
                Thread.sleep(300);  // a route still working when the next request's head is refused
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Reply.text("slow");
        });
        server = HttpServer.start("127.0.0.1", 0, 1 << 20, CoordinatorLimits.defaults(), router, new CoordinatorMetrics(),
                ByteShares.replies(ByteShares.DEFAULT_REPLY_BYTES), ByteShares.bodies(256L << 20, 1 << 20),
                TrustedProxies.NONE);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aRefusalAmongPipelinedRequestsIsAnsweredInItsPlaceThenClosesOrReadsOn() throws Exception {
        SoftAssertions soft = new SoftAssertions();
        for (Case c : CASES) {
            try (RawHttp raw = new RawHttp("http://127.0.0.1:" + server.port(), "127.0.0.1")) {
                walk(soft, c, raw);
            } catch (IOException e) {
                soft.fail(c.name() + ": " + e.getMessage());
            }
        }
        soft.assertAll();
    }

    private static void walk(SoftAssertions soft, Case c, RawHttp raw) throws IOException {
        raw.send(SLOW + c.request() + SLOW);
        RawHttp.Response first = raw.read();
        soft.assertThat(first.status() + " " + first.body()).as(c.name() + ": the request before it first")
                .isEqualTo("200 slow");
        RawHttp.Response refused = raw.read();
        System.out.println("[pipelined] " + c.name() + " -> " + refused.headers().replace("\r\n", " | ") + refused.body());
        soft.assertThat(refused.status()).as(c.name() + ": then its refusal: " + refused.body())
                .isEqualTo(c.status());
        boolean saysClose = refused.headers().toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n");
        soft.assertThat(saysClose).as(c.name() + (c.closes() ? ": says Connection: close" : ": keeps the connection"))
                .isEqualTo(c.closes());
        if (saysClose) {
            soft.assertThat(raw.closedByServer()).as(c.name() + ": then closed, the request after unanswered")
                    .isTrue();
        } else {
            RawHttp.Response after = raw.read();
            soft.assertThat(after.status() + " " + after.body()).as(c.name() + ": then the request after it")
                    .isEqualTo("200 slow");
        }
    }
}
