package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.support.RawHttp;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * The framing and head shapes of HostileWirePassTest, sent to every route of the route table
 * rather than one: a route that answers before it reads a body (an operator route's 401, a wrong
 * method's 405, a signed route's refusal of its content type) must not leave the connection's
 * framing to the body it never read. Each shape is followed in the same write by a smuggled
 * request. Where framing is lost (Content-Length with Transfer-Encoding, two Content-Lengths, a
 * chunk size past every integer or negative, a folded or bare-LF head) the answer is a 4xx that
 * says {@code Connection: close}, the connection closes and the smuggled request is never
 * answered; a HEAD on every GET route answers GET's status with no body, and an
 * {@code Expect: 100-continue} with an empty body is answered without a body awaited; in both the
 * connection reads on, the next request answered as its own. Bytes that are not UTF-8 in a header
 * value or the target are refused or served, never a 5xx. Nothing is stored.
 */
class EveryRouteFramingTest extends SeededCoordinatorTest {
    private static final String SMUGGLED = "GET /v1/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

    /** Framing-loss shapes, each the head's tail after the request line and Host, then its body. */
    private static final Map<String, String> FRAMING_LOST = Map.of(
            "Content-Length with Transfer-Encoding", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "Transfer-Encoding before Content-Length", "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
            "two Content-Lengths that differ", "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
            "a chunk size past every integer", "Transfer-Encoding: chunked\r\n\r\n1" + "0".repeat(40) + "\r\n{}",
            "a negative chunk size", "Transfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n",
            "a folded header line", "X-Note: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
            "a header line ended by a bare LF", "X-Note: a\nContent-Length: 2\r\n\r\n{}");

    private List<String> routes() {
        List<String> all = new ArrayList<>();
        for (String method : List.of("GET", "POST")) {
            new TreeSet<>(RouteTable.paths(method)).forEach(p -> all.add(method + " " + p));
        }
        return all;
    }

    @Test
    void everyRouteClosesWhereTheFramingIsLostAndAnswersNoSmuggledRequest() throws Exception {
        String statsBefore = exchange("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").body();
        SoftAssertions soft = new SoftAssertions();
        List<String> routes = routes();
        soft.assertThat(routes).as("the walk reaches the signed, operator and read routes")
                .contains("POST /v1/results", "POST /v1/directions/close", "GET /v1/audit", "GET /healthz");
        for (String route : routes) {
            for (Map.Entry<String, String> shape : FRAMING_LOST.entrySet()) {
                String what = route + ", " + shape.getKey();
                try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                    raw.send(route + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + shape.getValue()
                            + SMUGGLED);
                    RawHttp.Response r = raw.read();
                    soft.assertThat(r.status()).as(what + ": " + r.body()).isIn(400, 413);
                    soft.assertThat(r.body()).as(what).isNotBlank();
                    soft.assertThat(r.headers().toLowerCase(Locale.ROOT)).as(what + " says it closes")
                            .contains("\r\nconnection: close\r\n");
                    soft.assertThat(raw.closedByServer()).as(what + ": closed, the smuggled request unanswered").isTrue();
                }
            }
        }
        soft.assertThat(exchange("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").body()).as("nothing was stored")
                .isEqualTo(statsBefore);
        soft.assertAll();
    }

    @Test
    void aHeadOnEveryGetRouteIsGetsAnswerWithoutItsBody() throws Exception {
        SoftAssertions soft = new SoftAssertions();
        for (String path : new TreeSet<>(RouteTable.paths("GET"))) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response get = raw.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").read();
                raw.send("HEAD " + path + " HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED);
                RawHttp.Response head = raw.readHeadOnly();
                soft.assertThat(head.status()).as("HEAD " + path).isEqualTo(get.status());
                soft.assertThat(head.headers().toLowerCase(Locale.ROOT)).as("HEAD " + path + " says its length")
                        .contains("\r\ncontent-length: ");
                RawHttp.Response next = raw.read();
                soft.assertThat(next.status()).as("HEAD " + path + ": the next request is read where its head ended")
                        .isEqualTo(404);
                soft.assertThat(next.body()).as("HEAD " + path).contains("no route /v1/smuggled");
            }
        }
        soft.assertAll();
    }

    @Test
    void anExpectationOfAnEmptyBodyIsAnsweredOnEveryPostRouteAndTheConnectionReadsOn() throws Exception {
        String statsBefore = exchange("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").body();
        SoftAssertions soft = new SoftAssertions();
        for (String path : new TreeSet<>(RouteTable.paths("POST"))) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                raw.send("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 0\r\nExpect: 100-continue\r\n\r\n" + SMUGGLED);
                RawHttp.Response r = raw.read();
                while (r.status() == 100) {
                    r = raw.read();
                }
                soft.assertThat(r.status()).as(path + " with an empty body: " + r.body()).isBetween(400, 499);
                soft.assertThat(r.body()).as(path).isNotBlank();
                if (!r.headers().toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n")) {
                    RawHttp.Response next = raw.read();
                    soft.assertThat(next.status()).as(path + ": the next request, as its own").isEqualTo(404);
                    soft.assertThat(next.body()).as(path).contains("no route /v1/smuggled");
                }
            }
        }
        soft.assertThat(exchange("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").body()).as("nothing was stored")
                .isEqualTo(statsBefore);
        soft.assertAll();
    }

    @Test
    void bytesThatAreNotUtf8InAHeaderOrTheTargetAreNeverA5xx() throws Exception {
        String statsBefore = exchange("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").body();
        SoftAssertions soft = new SoftAssertions();
        byte[][] notUtf8 = {{(byte) 0xff}, {(byte) 0xc3, '('}};
        for (String route : routes()) {
            String method = route.substring(0, route.indexOf(' '));
            String path = route.substring(route.indexOf(' ') + 1);
            for (byte[] bad : notUtf8) {
                for (String where : List.of("header", "path", "query")) {
                    ByteArrayOutputStream req = new ByteArrayOutputStream();
                    req.writeBytes((method + " " + path).getBytes(StandardCharsets.US_ASCII));
                    if (where.equals("path")) {
                        req.writeBytes(bad);
                    } else if (where.equals("query")) {
                        req.write('?');
                        req.writeBytes("direction=".getBytes(StandardCharsets.US_ASCII));
                        req.writeBytes(bad);
                    }
                    req.writeBytes(" HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                    if (where.equals("header")) {
                        req.writeBytes("X-Note: a".getBytes(StandardCharsets.US_ASCII));
                        req.writeBytes(bad);
                        req.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    req.writeBytes(("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" + SMUGGLED)
                            .getBytes(StandardCharsets.US_ASCII));
                    String what = route + ", " + where + " " + hex(bad);
                    try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                        RawHttp.Response r = raw.send(req.toByteArray()).read();
                        soft.assertThat(r.status()).as(what + ": " + r.body()).isBetween(200, 499);
                        if (r.status() >= 400) {
                            soft.assertThat(r.body()).as(what).isNotBlank();
                        }
                        if (r.headers().toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n")) {
                            soft.assertThat(raw.closedByServer()).as(what + ": closed as it said").isTrue();
                        } else {
                            RawHttp.Response next = raw.read();
                            soft.assertThat(next.status()).as(what + ": the next request, as its own").isEqualTo(404);
                        }
                    }
                }
            }
        }
        soft.assertThat(exchange("GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").body()).as("nothing was stored")
                .isEqualTo(statsBefore);
        soft.assertAll();
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }
}
