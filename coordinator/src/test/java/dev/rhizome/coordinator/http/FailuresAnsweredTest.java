package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.support.LogCapture;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.protocol.LoadScaledBudget;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every request whose head was read gets an HTTP answer, whatever fails in the server's own code
 * on its way: a 500 naming an incident (and nothing of the failure), its connection kept when the
 * request's framing was sound, the failure logged once with the incident. Each failure here once
 * left its request unanswered and its connection held: the route's reply failing to encode (on
 * the event loop), a route answering nothing, now or later (on a worker: FairWorkers logged it and
 * the connection, busy with a request forever, was never idled out).
 */
class FailuresAnsweredTest {
    private final List<AutoCloseable> open = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void close() throws Exception {
        release.countDown();
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private String start() throws Exception {
        Router router = new Router()
                .get("/fine", r -> Reply.text("fine"))
                // a reply with nothing to send: no text, no bytes, no message
                .get("/unencodable", r -> new Reply(HttpResponseStatus.OK, null, null, null, null))
                // a header value HTTP forbids: it would have split the response
                .get("/header", r -> Reply.text("x").withAllow("GET\r\nSet-Cookie: session=stolen"))
                .get("/nothing", r -> null)
                .post("/nothing-later", r -> Reply.later(CompletableFuture.completedFuture(null), () -> { }))
                .post("/hold", r -> {
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Reply.text("held");
                });
        HttpServer server = HttpServer.start("127.0.0.1", 0, 1 << 20, CoordinatorLimits.defaults(), router,
                new CoordinatorMetrics());
        open.add(server);
        return "http://127.0.0.1:" + server.port();
    }

    private RawHttp connection(String url, String from) throws Exception {
        RawHttp raw = new RawHttp(url, from);
        open.add(raw);
        return raw;
    }

    @Test
    void aFailureOfTheServersOwnCodeIsA500AndTheConnectionAnswersOn() throws Exception {
        String url = start();
        try (LogCapture log = new LogCapture()) {
            RawHttp raw = connection(url, null);
            for (String request : List.of("GET /unencodable", "GET /header", "GET /nothing", "HEAD /unencodable",
                    "GET /nothing", "POST /nothing-later")) {
                raw.send(request + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
                RawHttp.Response r = request.startsWith("HEAD") ? raw.readHeadOnly() : raw.read();
                assertThat(r.status()).as(request).isEqualTo(500);
                assertThat(r.headers()).as(request).doesNotContainIgnoringCase("set-cookie")
                        .doesNotContainIgnoringCase("connection: close");
                if (!request.startsWith("HEAD")) {
                    assertThat(r.body()).as(request).contains("INTERNAL").contains("incident")
                            .doesNotContain("Exception").doesNotContain("null").doesNotContain(".java");
                    Matcher incident = Pattern.compile("incident ([0-9a-f]{8})").matcher(r.body());
                    assertThat(incident.find()).isTrue();
                    assertThat(log.linesMentioning("incident " + incident.group(1))).as(request).hasSize(1);
                }
                // the request's framing was sound: the same connection answers the next one
                assertThat(raw.send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\n").read().body()).as(request)
                        .isEqualTo("fine");
            }
        }
    }

    @Test
    void pipelinedRequestsAroundAFailureAreEachAnsweredInOrder() throws Exception {
        String url = start();
        RawHttp raw = connection(url, null);
        raw.send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /unencodable HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /fine HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(List.of(raw.read().status(), raw.read().status(), raw.read().status(), raw.read().status(),
                raw.read().status())).containsExactly(200, 500, 200, 500, 200);
        assertThat(raw.closedByServer()).isTrue();
    }

    @Test
    void aRequestTheSaturatedWorkersCannotQueueIsAnswered503AndItsNeighboursStillServed() throws Exception {
        String url = start();
        // One address's share is 16 running and 256 queued: 17 connections of 16 held writes each
        // fill it (a connection runs up to 16 writes at once).
        List<RawHttp> connections = new ArrayList<>();
        String hold = "POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
        for (int c = 0; c < 17; c++) {
            connections.add(connection(url, "127.0.0.1").send(hold.repeat(16)));
        }
        // Those are read in no set order: one more at a time until one is answered while all are held.
        RawHttp over = null;
        // how long a refusal may take to arrive: 2 s fixed missed every one on a machine at load 30
        // (each try then counted as queued, and the 20 ran out), so it grows with the load
        Duration refusedWithin = new LoadScaledBudget(Duration.ofSeconds(2), Duration.ofSeconds(10)).now();
        for (int i = 0; i < 20 && over == null; i++) {
            RawHttp next = connection(url, "127.0.0.1").send(hold);
            connections.add(next);
            try {
                await().atMost(refusedWithin).until(next::answerWaiting);
                over = next;
            } catch (ConditionTimeoutException queued) {
                // queued behind the held ones: answered once they are let go
            }
        }
        assertThat(over).as("a request past the address's share of the workers' queue").isNotNull();
        RawHttp.Response refused = over.read();
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.body()).contains("overloaded").doesNotContain("Exception").doesNotContain("queue full");
        assertThat(over.closedByServer()).isTrue();
        // another network is served meanwhile
        assertThat(connection(url, "127.0.9.1").send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\n").read().body())
                .isEqualTo("fine");
        // and every request held is answered once let go: each connection's answers are all "held",
        // or end with the one 503 that closed it (a request read before the others were)
        release.countDown();
        connections.remove(over);
        for (RawHttp c : connections) {
            int expected = connections.indexOf(c) < 17 ? 16 : 1;
            for (int i = 0; i < expected; i++) {
                RawHttp.Response r = c.read();
                if (r.status() == 503) {
                    assertThat(c.closedByServer()).isTrue();
                    break;
                }
                assertThat(r.body()).isEqualTo("held");
            }
        }
    }
}
