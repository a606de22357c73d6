package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.RawHttp;
import java.util.Locale;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Requests that two readers of the same bytes could read two ways, over real sockets on loopback:
 * a body on a method that takes none (a proxy that ignores it reads it as the next request), a
 * singleton header sent twice, and a list header spread over several lines. Each is refused
 * naming the problem, and the connection closes, or read whole.
 */
class AmbiguousMessagesTest extends SeededCoordinatorTest {
    @Test
    void aBodyOnAMethodThatTakesNoneIsRefusedAndWhatFollowsItIsNotRead() throws Exception {
        String smuggled = "GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n";
        for (String framing : new String[] {"Content-Length: " + smuggled.length() + "\r\n\r\n" + smuggled,
                "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(smuggled.length()) + "\r\n" + smuggled
                        + "\r\n0\r\n\r\n"}) {
            for (String method : new String[] {"GET", "HEAD", "DELETE", "OPTIONS"}) {
                try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                    raw.send(method + " /v1/results HTTP/1.1\r\nHost: x\r\n" + framing);
                    RawHttp.Response r = method.equals("HEAD") ? raw.readHeadOnly() : raw.read();
                    assertThat(r.status()).as(method + " with " + framing).isEqualTo(400);
                    if (!method.equals("HEAD")) {
                        // refused at its head, before its body is read, however it is framed
                        assertThat(r.body()).contains(method + " takes no body").contains(framing.startsWith("Content")
                                ? "declares Content-Length: " + smuggled.length() : "framed by Transfer-Encoding chunked");
                    }
                    assertThat(raw.closedByServer()).as("nothing after it is read").isTrue();
                }
            }
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send("GET /v1/results HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").read();
            assertThat(r.status()).as("an empty body is no body").isEqualTo(200);
        }
    }

    /**
     * A body framed on a method that takes none is refused from its head, without waiting for the
     * body: a GET declaring a megabyte and sending none held its connection until the request
     * deadline (a slow-loris at the cost of one head), and a method HTTP does not define was 400
     * "takes no body" without {@code Expect} where it was 501 with it.
     */
    @Test
    void aBodyOnAMethodThatTakesNoneIsRefusedFromItsHeadWithoutWaitingForIt() throws Exception {
        String[][] heads = {
            {"GET /v1/stats HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", "400",
                "GET takes no body, and this one declares Content-Length: 1000000"},
            {"DELETE /v1/stats HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "400",
                "DELETE takes no body, and this one is framed by Transfer-Encoding chunked"},
            {"BREW /v1/stats HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", "501",
                "method BREW is not one this server knows"},
            {"BREW /v1/stats HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "501",
                "method BREW is not one this server knows"},
            {"BREW /v1/stats HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n",
                "501", "method BREW is not one this server knows"},
        };
        for (String[] c : heads) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(c[0]).read();  // the body never comes
                assertThat(r.status()).as(c[0] + r.body()).isEqualTo(Integer.parseInt(c[1]));
                assertThat(r.body()).as(c[0]).contains(c[2]);
                assertThat(r.headers().toLowerCase()).contains("connection: close");
                assertThat(raw.closedWithin(Duration.ofSeconds(20))).as("closed, nothing after it read").isTrue();
            }
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send("BREW /v1/stats HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertThat(r.status()).as("no body: the method's 501, the connection kept").isEqualTo(501);
            assertThat(raw.read().body()).isEqualTo("ok");
        }
    }

    @Test
    void aContentTypeSentTwiceIsRefusedWhicheverComesFirst() throws Exception {
        for (String[] order : new String[][] {{"application/json", "application/x-protobuf"},
                {"application/x-protobuf", "application/json"}, {"application/json", "application/json"}}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send("POST /v1/results HTTP/1.1\r\nHost: x\r\nContent-Type: " + order[0]
                        + "\r\nContent-Type: " + order[1] + "\r\nContent-Length: 2\r\n\r\n{}").read();
                assertThat(r.status()).isEqualTo(400);
                assertThat(r.body()).contains("2 Content-Type headers");
                assertThat(raw.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void everyLineOfAListHeaderIsRead() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send("POST /v1/results HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Encoding: identity\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}").read();
            assertThat(r.status()).as("a coding on the second line is still a coding").isEqualTo(415);
            assertThat(r.body()).contains("Content-Encoding identity, gzip is not supported");
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send("GET /v1/stats HTTP/1.1\r\nHost: x\r\nAccept: application/json;q=0.5\r\n"
                    + "Accept: application/x-protobuf\r\nConnection: close\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.headers().toLowerCase(Locale.ROOT))
                    .as("the second line prefers protobuf").contains("content-type: application/x-protobuf");
        }
    }

    @Test
    void aRefusedHeadIsAnsweredWithoutABodyToo() throws Exception {
        // A refusal made before the route ran (the target, the headers, a body) once carried its Error
        // body after the HEAD's headers: the client reads those bytes as the start of the next response.
        for (String request : new String[] {"HEAD /v1/results?direction=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                "HEAD /v1/results HTTP/1.1\r\nHost: x\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\n",
                "HEAD /v1/results HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                "HEAD /v1/results HTTP/1.1\r\n\r\n"}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(request).readHeadOnly();
                assertThat(r.status()).as(request).isEqualTo(400);
                assertThat(r.headers()).as("the Content-Length of the refusal it would be").containsIgnoringCase("content-length");
                assertThat(raw.closedByServer()).as("no body followed the headers of " + request).isTrue();
            }
        }
        // The refusals of a body on a method that takes none (from the head, before its size is
        // judged: round 36) and of an expectation come from the handlers before the router.
        String[][] early = {{"HEAD /v1/results HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n", "400"},
                {"HEAD /v1/results HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\nExpect: 100-continue\r\n\r\n", "400"},
                {"HEAD /v1/results HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 200-ok\r\n\r\n", "417"}};
        for (String[] refused : early) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send(refused[0]).readHeadOnly();
                assertThat(r.status()).as(refused[0]).isEqualTo(Integer.parseInt(refused[1]));
                assertThat(raw.closedByServer()).as("no body followed the headers of " + refused[0]).isTrue();
            }
        }
    }
}
