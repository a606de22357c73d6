package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Round 18 of the hostile client (raw sockets): conditional requests (RFC 9110, 13). The
 * coordinator gives no entity tags nor modification dates: a write sent with {@code If-Match} (do
 * it only if the resource is as I saw it) was done all the same, a claim leased and a paper
 * stored; now it is {@code 412} naming the header and nothing is run, on every route that would
 * have served it. The conditions a server without tags must ignore are ignored (whole answers).
 */
class ConditionalRequestsProbeTest {
    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json().into(started -> h = started);

    /** {@code head} (request line and headers, no end of line) with a JSON body (none if empty), on a fresh connection. */
    private RawHttp.Response send(String head, byte[] body) throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            String framing = body.length == 0 ? ""
                    : "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n";
            raw.send(head + "\r\nHost: x\r\n" + framing + "Connection: close\r\n\r\n");
            return raw.send(body).read();
        }
    }

    private byte[] claim(Identity node) {
        return Json.print(h.api.sign(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce())
                .addKinds(WorkUnit.Kind.EVALUATE).build())).getBytes(StandardCharsets.UTF_8);
    }

    private byte[] paper(Identity author) {
        return Json.print(h.api.sign(author, Paper.newBuilder().setAuthor(author.publicId().toByteString())
                .setDirection(DIRECTION).setTitle("t").setBodyMarkdown("b").setCreatedMs(h.clock.millis()).build()))
                .getBytes(StandardCharsets.UTF_8);
    }

    private static void assertPreconditionFailed(RawHttp.Response r, String what) {
        assertThat(r.status()).as("%s: %s", what, r.body()).isEqualTo(412);
        assertThat(r.body()).as(what).contains("\"code\": \"CONFLICT\"").contains("If-Match").contains("nothing was done");
    }

    @Test
    void aWriteThatAsksForAMatchIsRefusedAndChangesNothing() throws Exception {
        for (String condition : new String[] {"\"abc\"", "W/\"abc\"", "*", "\"a\", \"b\""}) {
            assertPreconditionFailed(send("POST /v1/claim HTTP/1.1\r\nIf-Match: " + condition,
                    claim(Identity.generate())), "a claim with If-Match: " + condition);
            if (!condition.equals("*")) {  // /v1/papers has a GET: "*" holds there (below)
                assertPreconditionFailed(send("POST /v1/papers HTTP/1.1\r\nIf-Match: " + condition,
                        paper(Identity.generate())), "a paper with If-Match: " + condition);
            }
        }
        assertThat(h.units("LEASED").getUnitsCount()).as("no claim leased").isZero();
        assertThat(h.api.get("/v1/papers").text()).as("no paper stored").doesNotContain("\"title\"");
        // the same requests without the condition are served
        assertThat(send("POST /v1/claim HTTP/1.1", claim(Identity.generate())).status()).isEqualTo(200);
        assertThat(send("POST /v1/papers HTTP/1.1", paper(Identity.generate())).status()).isEqualTo(200);
        assertThat(h.units("LEASED").getUnitsCount()).isEqualTo(1);
        // "*" asks only that the resource exist: the list of papers does
        assertThat(send("POST /v1/papers HTTP/1.1\r\nIf-Match: *", paper(Identity.generate())).status()).isEqualTo(200);
    }

    @Test
    void everyRouteThatWouldServeIsRefusedAndOthersKeepTheirAnswer() throws Exception {
        for (String path : RouteTable.paths("POST")) {
            RawHttp.Response r = send("POST " + path + " HTTP/1.1\r\nIf-Match: \"x\"", "{}".getBytes(StandardCharsets.UTF_8));
            assertPreconditionFailed(r, path);  // before its body is read: an empty record would be 400
        }
        for (String path : RouteTable.paths("GET")) {
            String target = path.equals("/v1/experiment") ? path + "?commit=" + h.seedCommit : path;
            int unconditional = send("GET " + target + " HTTP/1.1", new byte[0]).status();
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response named = raw.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nIf-Match: \"x\"\r\n\r\n").read();
                if (unconditional / 100 == 2) {
                    assertPreconditionFailed(named, target);
                } else {  // a read judged on its answer: one that is no 2xx stands (RFC 9110, 13.2.1)
                    assertThat(named.status()).as("If-Match: \"x\" on %s, answered %s", target, unconditional)
                            .isEqualTo(unconditional);
                }
                // a clean refusal: the connection stays in step and open
                RawHttp.Response any = raw.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nIf-Match: *\r\n"
                        + "Connection: close\r\n\r\n").read();
                assertThat(any.status()).as("If-Match: * on %s, which has a representation", target)
                        .isEqualTo(unconditional);
            }
        }
        // a request refused anyway keeps its own answer (RFC 9110, 13.2.1)
        assertThat(send("GET /v1/nope HTTP/1.1\r\nIf-Match: \"x\"", new byte[0]).status()).isEqualTo(404);
        assertThat(send("DELETE /v1/claim HTTP/1.1\r\nIf-Match: \"x\"", new byte[0]).status()).isEqualTo(405);
    }

    @Test
    void aReadOfWhatDoesNotExistIsA404UnderAnyCondition() throws Exception {
        // It was 412, judged by route before the handler ran: the client was told its tag did not
        // match where the truth is that there is nothing there (RFC 9110, 13.2.1: only a request
        // that would be served without the condition is judged by it).
        String unknown = "GET /v1/experiment?commit=" + "0".repeat(40) + " HTTP/1.1";
        for (String condition : new String[] {"*", "\"x\"", "W/\"x\""}) {
            RawHttp.Response r = send(unknown + "\r\nIf-Match: " + condition, new byte[0]);
            assertThat(r.status()).as("If-Match: %s on an unknown commit: %s", condition, r.body()).isEqualTo(404);
            assertThat(r.body()).contains("NOT_FOUND");
            assertThat(send(unknown.replace("GET", "HEAD") + "\r\nIf-Match: " + condition, new byte[0]).status())
                    .as("HEAD, as GET").isEqualTo(404);
        }
        // a read of what exists: "*" holds, a named tag does not
        String known = "GET /v1/stats HTTP/1.1";
        assertThat(send(known + "\r\nIf-Match: *", new byte[0]).status()).isEqualTo(200);
        assertPreconditionFailed(send(known + "\r\nIf-Match: \"x\"", new byte[0]), "a named tag on a known commit");
        // a read refused for its query keeps that answer too
        assertThat(send("GET /v1/stats?limt=5 HTTP/1.1\r\nIf-Match: \"x\"", new byte[0]).status()).isEqualTo(400);
    }

    @Test
    void anExpectationWithAConditionThatCannotHoldIsAnsweredWithThe412NotAHundredContinue() throws Exception {
        // It was "100 Continue": the client sent its body (up to 1 MiB) for nothing, then heard the 412.
        String[][] cases = {
            {"/v1/claim", "\"x\""},
            {"/v1/claim", "*"},  // a path with nothing to read
            {"/v1/papers", "W/\"x\""},
        };
        for (String[] c : cases) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send("POST " + c[0] + " HTTP/1.1\r\nHost: x\r\nIf-Match: " + c[1]
                        + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 900000\r\n\r\n").read();
                assertPreconditionFailed(r, c[0] + " with If-Match: " + c[1] + " and Expect");
                assertThat(raw.closedByServer()).as("the body it might send anyway is not read").isTrue();
            }
        }
        // a condition that holds ("*" where the path has a GET) is told to go on, and the write is done
        byte[] paper = paper(Identity.generate());
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            assertThat(raw.send("POST /v1/papers HTTP/1.1\r\nHost: x\r\nIf-Match: *\r\nContent-Type: application/json\r\n"
                    + "Expect: 100-continue\r\nContent-Length: " + paper.length + "\r\n\r\n").readHeadOnly().status())
                    .isEqualTo(100);
            assertThat(raw.send(paper).read().status()).isEqualTo(200);
        }
        // a head refused anyway keeps that answer, with the expectation and without (one rule)
        for (String expect : new String[] {"Expect: 100-continue\r\n", ""}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                raw.send("POST /v1/claim HTTP/1.1\r\nHost: x\r\nIf-Match: \"x\"\r\nContent-Type: text/plain\r\n"
                        + expect + "Content-Length: 2\r\nConnection: close\r\n\r\n");
                if (expect.isEmpty()) {
                    raw.send("{}");
                }
                assertThat(raw.read().status()).as("text/plain with If-Match, %s", expect.isEmpty() ? "no Expect" : "Expect")
                        .isEqualTo(415);
            }
        }
        assertThat(h.units("LEASED").getUnitsCount()).as("no claim leased").isZero();
    }

    @Test
    void theConditionsAServerWithoutTagsMustIgnoreAreIgnored() throws Exception {
        // no representation matches "*": If-None-Match holds; no Last-Modified: If-Unmodified-Since is ignored
        assertThat(send("POST /v1/claim HTTP/1.1\r\nIf-None-Match: *", claim(Identity.generate())).status())
                .isEqualTo(200);
        assertThat(send("POST /v1/claim HTTP/1.1\r\nIf-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT",
                claim(Identity.generate())).status()).isEqualTo(200);
        RawHttp.Response ranged = send("GET /v1/stats HTTP/1.1\r\nRange: bytes=0-3\r\nIf-Range: \"x\"\r\n"
                + "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\nIf-None-Match: \"x\"", new byte[0]);
        assertThat(ranged.status()).as("a whole answer: nothing is cached or ranged").isEqualTo(200);
        assertThat(ranged.body()).contains("\"directions\"");
    }
}
