package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.LogCapture;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.protocol.identity.Identity;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP layer against clients that bend the protocol, over real sockets on loopback (the
 * attacks of HostileClientsTest are not repeated): request targets that do not decode, HEAD,
 * versions other than 1.x, invented methods, and a client that asks for large replies without
 * reading them. Each gets a 4xx/5xx that names the problem, or bounded work on the server.
 */
class HostileHttpTest {
    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json()
            // Non-readers here are held for the tests' whole length: the stall rule (its own tests below,
            // on a server of their own) would otherwise cut them after 10 s.
            .limits(CoordinatorLimits.defaults().withReplyStallTimeout(Duration.ofMinutes(10)))
            .into(started -> h = started);

    private RawHttp.Response exchange(String requestLine) throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(requestLine + "\r\nHost: x\r\nConnection: close\r\n\r\n").read();
        }
    }

    @Test
    void targetsThatDoNotDecodeAre400NamingTheProblemNotAClosedConnection() throws Exception {
        // a bare "%zz" once made the decoder throw on the event loop: the connection closed unanswered
        for (String target : new String[] {"/v1/results?direction=%zz", "/v1/results?direction=%", "/healthz%zz",
                "/v1/results?direction=%e", "/v1/papers?direction=a%2"}) {
            RawHttp.Response r = exchange("GET " + target + " HTTP/1.1");
            assertThat(r.status()).as(target).isEqualTo(400);
            assertThat(r.body()).as(target).contains("bad percent-escape");
        }
        // "%ff" once became U+FFFD and matched nothing: 200 with an empty list, the typo unseen
        for (String target : new String[] {"/v1/results?direction=%ff%fe", "/v1/experiments?direction=%c3",
                "/v1/papers?direction=%ed%a0%80"}) {
            RawHttp.Response r = exchange("GET " + target + " HTTP/1.1");
            assertThat(r.status()).as(target).isEqualTo(400);
            assertThat(r.body()).as(target).contains("not UTF-8");
        }
        RawHttp.Response fine = exchange("GET /v1/results?direction=caf%C3%A9 HTTP/1.1");
        assertThat(fine.status()).as("decoded and looked up (no such direction here)").isEqualTo(404);
        assertThat(fine.body()).contains("unknown direction café");
    }

    @Test
    void malformedRequestsAreNamedWithoutJavaClassNames() throws Exception {
        RawHttp.Response r = exchange("GET /healthz HTTP/1.1\r\nBad Header Line");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("malformed HTTP request").doesNotContain("java.").doesNotContain("Exception");
    }

    @Test
    void headIsGetWithoutTheBodyAndOtherHttpVersionsAre505() throws Exception {
        RawHttp.Response get = exchange("GET /healthz HTTP/1.1");
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            // kept alive: a body after the head would be read as the next response's status line
            RawHttp.Response head = raw.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n").readHeadOnly();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.headers().toLowerCase()).contains("content-length: " + get.body().length());
            RawHttp.Response next = raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("ok");
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response wrong = raw.send("HEAD /v1/claim HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .readHeadOnly();
            assertThat(wrong.status()).isEqualTo(405);
            assertThat(wrong.headers().toLowerCase()).contains("allow: post\r\n");
        }
        RawHttp.Response options = exchange("OPTIONS /v1/experiments HTTP/1.1");
        assertThat(options.status()).isEqualTo(405);
        assertThat(options.headers().toLowerCase()).contains("allow: get, head, post\r\n");
        RawHttp.Response future = exchange("GET /healthz HTTP/9.9");
        assertThat(future.status()).isEqualTo(505);
        assertThat(future.body()).contains("HTTP/9.9");
    }

    @Test
    void inventedMethodsAre501AndDoNotGrowTheMetrics() throws Exception {
        // RFC 9110 15.6.2: a method the server does not recognise is 501 on any path; 405 (with
        // Allow) is for a method it knows that the path does not accept. Both were 405.
        for (int i = 0; i < 40; i++) {
            RawHttp.Response r = exchange("X" + i + "METHOD /healthz HTTP/1.1");
            assertThat(r.status()).isEqualTo(501);
            assertThat(r.body()).contains("UNSUPPORTED").contains("X" + i + "METHOD").contains("GET, HEAD, POST");
        }
        assertThat(exchange("FOO /no/such/path HTTP/1.1").status()).as("whatever the path").isEqualTo(501);
        assertThat(exchange("get /healthz HTTP/1.1").status()).as("methods are case-sensitive").isEqualTo(501);
        for (String known : new String[] {"PUT", "DELETE", "PATCH", "TRACE"}) {
            RawHttp.Response r = exchange(known + " /healthz HTTP/1.1");
            assertThat(r.status()).as(known).isEqualTo(405);
            assertThat(r.headers().toLowerCase()).as(known).contains("allow: get, head\r\n");
        }
        String metrics = h.api.get("/metrics").text();
        assertThat(metrics).doesNotContain("X7METHOD").contains("method=\"other\"");
    }

    @Test
    void aClientThatDoesNotReadItsRepliesStopsBeingReadInsteadOfFillingTheServersMemory() throws Exception {
        String asset = "/dashboard/uPlot.iife.min.js";  // about 50 KB
        int requests = 600;
        URI uri = URI.create(h.coordinator.url());
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()));
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            // Padded to 4 KB so that one read of the server's holds a few requests, well under the
            // HTTP codec's own cap on requests decoded ahead of their replies (128).
            byte[] one = ("GET " + asset + " HTTP/1.1\r\nHost: x\r\nX-Pad: " + "p".repeat(4000) + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < requests; i++) {
                        out.write(one);  // blocks once the server stops reading and the buffers are full
                    }
                    out.flush();
                } catch (IOException e) {
                    // the assertions below say what went wrong
                }
            });
            writer.setDaemon(true);
            writer.start();

            // Wait until the server has stopped answering, then count: it must have stopped well
            // short of the end (it once read on and buffered every reply, 50 MB here).
            AtomicLong last = new AtomicLong(-1);
            await().pollInterval(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(90)).until(() -> {
                long now = served(asset);
                return now > 0 && now == last.getAndSet(now);
            });
            assertThat(served(asset)).isLessThan(requests / 2);

            // Back-pressure, not a stall: reading the replies lets every request through.
            InputStream in = socket.getInputStream();
            for (int i = 0; i < requests; i++) {
                assertThat(skipResponse(in)).as("reply %d", i).isEqualTo(200);
            }
            writer.join(10_000);
        }
        assertThat(served(asset)).isEqualTo(requests);
    }

    @Test
    void aContentCodedBodyIs415NamingTheCodingAndIsNeverInflated() throws Exception {
        // A gzip body was read as if it were the JSON itself: "body is not UTF-8", which names the
        // wrong problem (the server inflates nothing, so a decompression bomb costs only its bytes).
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write(new byte[1 << 20]);  // a megabyte of zeros in about a kilobyte
        }
        byte[] body = zipped.toByteArray();
        for (String coding : new String[] {"gzip", "deflate", "br", "gzip, identity"}) {
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                byte[] head = ("POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Encoding: " + coding + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1);
                RawHttp.Response r = raw.send(head).send(body).read();
                assertThat(r.status()).as(coding).isEqualTo(415);
                assertThat(r.body()).as(coding).contains("UNSUPPORTED").contains("Content-Encoding " + coding)
                        .contains("unencoded");
            }
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response identity = raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Encoding: identity\r\n"
                    + "Connection: close\r\n\r\n").read();
            assertThat(identity.status()).as("identity is no coding").isEqualTo(200);
        }
    }

    @Test
    void headOnEveryGetRouteIsItsGetWithoutTheBody() throws Exception {
        for (String path : RouteTable.paths("GET")) {
            String target = path.equals("/v1/experiment") ? path + "?commit=" + h.seedCommit : path;
            RawHttp.Response get = exchange("GET " + target + " HTTP/1.1");
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response head = raw.send("HEAD " + target + " HTTP/1.1\r\nHost: x\r\n\r\n").readHeadOnly();
                assertThat(head.status()).as(path).isEqualTo(get.status());
                assertThat(head.headers().toLowerCase()).as(path).contains("content-length: ");
                // the connection is still in step: no body followed the head
                RawHttp.Response next = raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read();
                assertThat(next.body()).as(path).isEqualTo("ok");
            }
        }
    }

    @Test
    void anExpectationOtherThan100ContinueIsNamedInA417() throws Exception {
        // Netty answered 417 with an empty body: the client could not tell what was wrong
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response r = raw.send("POST /v1/claim HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n"
                    + "Content-Length: 2\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(417);
            assertThat(r.body()).contains("BAD_REQUEST").contains("Expect: teapot").contains("100-continue");
            assertThat(r.headers().toLowerCase()).contains("connection: close");
        }
    }

    @Test
    void aQueryParameterGivenTwiceIsRefusedByName() throws Exception {
        // the first of the two was taken silently: 200 with five results for a client that asked for seven
        RawHttp.Response r = exchange("GET /v1/results?limit=5&limit=7 HTTP/1.1");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("query parameter limit is given 2 times");
        assertThat(exchange("GET /v1/results?direction=a&direction=b HTTP/1.1").body())
                .contains("query parameter direction is given 2 times");
    }

    @Test
    void aQueryParameterWithoutAValueIsRefusedByNameOnEveryRoute() throws Exception {
        // "?direction" was read as an empty value, the same as absent: the whole list, the mistake unseen
        int walked = 0;
        for (String path : RouteTable.paths("GET")) {
            for (String param : RouteTable.params(path)) {
                for (String query : new String[] {param, param + "&" + param + "=", "x=1&" + param}) {
                    RawHttp.Response r = exchange("GET " + path + "?" + query + " HTTP/1.1");
                    assertThat(r.status()).as(path + "?" + query).isEqualTo(400);
                    assertThat(r.body()).as(path + "?" + query).contains("query parameter " + (query.startsWith("x=") ? "x" : param));
                    walked++;
                }
                RawHttp.Response valueless = exchange("GET " + path + "?" + param + " HTTP/1.1");
                assertThat(valueless.body()).as(path).contains("query parameter " + param + " has no value");
            }
        }
        assertThat(walked).isGreaterThan(40);
        // an empty value is the parameter absent, as before; pages for browsers still ignore their query
        assertThat(exchange("GET /v1/results?direction=&limit= HTTP/1.1").status()).isEqualTo(200);
        assertThat(exchange("GET /?nocache HTTP/1.1").status()).isEqualTo(200);
    }

    @Test
    void aQueryParameterTheRouteDoesNotTakeIsRefusedByName() throws Exception {
        // "?limt=5" and "?Limit=5" were answered with the default page of 100, the typo unseen
        RawHttp.Response typo = exchange("GET /v1/results?limt=5 HTTP/1.1");
        assertThat(typo.status()).isEqualTo(400);
        assertThat(typo.body()).contains("query parameter limt is not one this route knows")
                .contains("/v1/results takes after, commit, direction, limit, newest");
        assertThat(exchange("GET /v1/results?Limit=5 HTTP/1.1").status()).isEqualTo(400);
        // Netty split on ";" too: "direction=x;y" asked for direction x and a parameter "y", where a cache
        // splitting on "&" alone saw one direction "x;y". A raw ";" is refused; "%3B" is a value's own.
        RawHttp.Response semicolon = exchange("GET /v1/results?direction=x;y HTTP/1.1");
        assertThat(semicolon.status()).isEqualTo(400);
        assertThat(semicolon.body()).contains("the query holds a").contains("%3B");
        assertThat(exchange("GET /v1/experiments?direction=x%3By HTTP/1.1").body()).contains("unknown direction x;y");
        assertThat(exchange("GET /v1/stats?verbose=1 HTTP/1.1").body()).contains("/v1/stats takes no query parameters");
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            RawHttp.Response post = raw.send(RawHttp.bytes("POST", "/v1/claim?dry_run=1", "application/json",
                    "{}".getBytes(StandardCharsets.UTF_8))).read();
            assertThat(post.status()).isEqualTo(400);
            assertThat(post.body()).contains("/v1/claim takes no query parameters");
        }
        assertThat(exchange("GET /v1/results?direction=d&commit=" + h.seedCommit + "&limit=5 HTTP/1.1").body())
                .as("every parameter taken, the direction looked up").contains("unknown direction d");
        assertThat(exchange("GET /?utm_source=mail HTTP/1.1").status()).as("pages for browsers ignore the query")
                .isEqualTo(200);
        assertThat(exchange("GET /metrics?name[]=x HTTP/1.1").status()).as("and for scrapers").isEqualTo(200);
    }

    @Test
    void aCommitThatIsNoCommitIdIsRefusedNotMatchedAgainstNothing() throws Exception {
        // "?commit=<a prefix>" matched no row: 200 with no results, as if nobody had run it
        RawHttp.Response prefix = exchange("GET /v1/results?commit=" + h.seedCommit.substring(0, 7) + " HTTP/1.1");
        assertThat(prefix.status()).isEqualTo(400);
        assertThat(prefix.body()).contains("commit must be a 40-hex-digit commit id");
        assertThat(exchange("GET /v1/results?commit=" + h.seedCommit + " HTTP/1.1").status()).isEqualTo(200);
    }

    @Test
    void aFailureInsideTheServerAnswers500WithoutItsInternals() throws Exception {
        Router router = new Router().get("/broken", r -> {
            throw new IllegalStateException("SQLITE_CORRUPT: /srv/secret/coordinator.db page 7 at SqliteStore.java:88");
        }).get("/overflow", r -> {
            throw new StackOverflowError();  // once left unanswered, its connection held for good
        });
        HttpServer server = HttpServer.start("127.0.0.1", 0, 1 << 20, CoordinatorLimits.defaults(), router,
                new CoordinatorMetrics());
        try (LogCapture log = new LogCapture();
                RawHttp raw = new RawHttp("http://127.0.0.1:" + server.port())) {
            RawHttp.Response r = raw.send("GET /broken HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.body()).contains("INTERNAL").contains("incident")
                    .doesNotContain("SQLITE").doesNotContain("secret").doesNotContain(".java").doesNotContain("Exception");
            Matcher incident = Pattern.compile("incident ([0-9a-f]{8})").matcher(r.body());
            assertThat(incident.find()).isTrue();
            // the operator finds the cause by the number the client quotes
            assertThat(log.warningsMentioning("incident " + incident.group(1))).hasSize(1);
        }
        try (RawHttp raw = new RawHttp("http://127.0.0.1:" + server.port())) {
            RawHttp.Response r = raw.send("GET /overflow HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.body()).contains("incident").doesNotContain("StackOverflow");
            assertThat(raw.send("GET /overflow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read().status())
                    .as("the connection still answers").isEqualTo(500);
        } finally {
            server.close();
        }
    }

    @Test
    void clientsThatPipelineLargeReadsAndNeverReadHoldOneReplyEachNotSixteen() throws Exception {
        // 80 papers of 64 KiB: a page of /v1/audit is then 4 MiB of records, about 5.6 MB as JSON
        Identity author = Identity.generate();
        for (int i = 0; i < 80; i++) {
            assertThat(h.api.signAndPost("/v1/papers", author, Paper.newBuilder()
                    .setDirection(Harness.DIRECTION).setTitle("t" + i).setBodyMarkdown("p".repeat(64 * 1024))
                    .setAuthor(author.publicId().toByteString()).setCreatedMs(h.clock.millis()).build()).status())
                    .isEqualTo(200);
        }
        String page = "/v1/audit";
        int connections = 4;
        int pipelined = 8;
        URI uri = URI.create(h.coordinator.url());
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int c = 0; c < connections; c++) {
                Socket socket = new Socket();
                socket.setReceiveBufferSize(4096);
                // A network each: one address's unread pages past its share of the reply budget are
                // refused instead (BufferSharesTest), which is not what this test is about.
                socket.bind(new InetSocketAddress("127.0." + (c + 1) + ".1", 0));
                socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()));
                socket.setSoTimeout(60_000);
                socket.getOutputStream().write(("GET " + page + "?limit=1000 HTTP/1.1\r\nHost: x\r\n\r\n")
                        .repeat(pipelined).getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
                sockets.add(socket);
            }
            // Every connection's first page is built and stuck in its socket; then nothing more is
            // built (all 8 were, 32 x 5.6 MB held in the server's buffers, before).
            AtomicLong last = new AtomicLong(-1);
            await().pollInterval(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(90)).until(() -> {
                long now = served(page);
                return now >= connections && now == last.getAndSet(now);
            });
            assertThat(served(page)).isLessThanOrEqualTo(2L * connections);
            // honest clients on other connections are answered meanwhile
            assertThat(h.api.get("/healthz").status()).isEqualTo(200);
            assertThat(h.api.get("/v1/stats").status()).isEqualTo(200);

            // back-pressure, not a stall: reading lets every request through, in order
            for (Socket socket : sockets) {
                InputStream in = socket.getInputStream();
                for (int i = 0; i < pipelined; i++) {
                    assertThat(skipResponse(in)).isEqualTo(200);
                }
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        assertThat(served(page)).isEqualTo((long) connections * pipelined);
    }

    @Test
    void aClientThatHalfClosesAfterItsRequestsStillGetsItsAnswers() throws Exception {
        // the connection used to close at the client's FIN, every answer lost
        URI uri = URI.create(h.coordinator.url());
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            assertThat(skipResponse(in)).isEqualTo(200);
            assertThat(skipResponse(in)).isEqualTo(200);
            assertThat(in.read()).as("then the server closes").isEqualTo(-1);
        }
        // a request cut short by the FIN is named, not met with silence
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write("GET /v1/stats HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
            socket.shutdownOutput();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 400").contains("malformed HTTP request");
        }
    }

    @Test
    void theDashboardRunsOnlyItsOwnScriptsAndNoAnswerIsSniffedIntoHtml() throws Exception {
        String page = exchange("GET / HTTP/1.1").headers().toLowerCase();
        assertThat(page).contains("content-security-policy: default-src 'none'; script-src 'self';")
                .contains("frame-ancestors 'none'").contains("x-frame-options: deny");
        // untrusted titles and descriptions travel in JSON: never to be read as a page
        assertThat(exchange("GET /v1/dashboard HTTP/1.1").headers().toLowerCase())
                .contains("x-content-type-options: nosniff");
        assertThat(exchange("GET /v1/nope HTTP/1.1").headers().toLowerCase())
                .contains("x-content-type-options: nosniff");
    }

    @Test
    void repliesNobodyReadsAreBoundedAcrossConnectionsAndWorkStillFlows() throws Exception {
        // Larger than what the kernel's socket buffers take on loopback (a few MB), so that most of
        // each reply stays in the server's own buffers.
        byte[] big = new byte[16 << 20];
        Arrays.fill(big, (byte) 'x');
        Router router = new Router()
                .get("/big", r -> Reply.bytes(big, "text/plain"))
                .post("/work", r -> Reply.text("done"));
        ByteShares replies = ByteShares.replies(32L << 20);
        // Non-readers kept for the whole test (here the stall rule would cut them; its own test below)
        HttpServer server = HttpServer.start("127.0.0.1", 0, 1 << 20,
                CoordinatorLimits.defaults().withReplyStallTimeout(Duration.ofMinutes(10)), router,
                new CoordinatorMetrics(), replies);
        String url = "http://127.0.0.1:" + server.port();
        List<Socket> sockets = new ArrayList<>();
        try {
            // Clients that ask for 16 MB each and never read: each holds its reply in the server. Each
            // from a network of its own (127.0.c.1): one network holds at most its share (BufferSharesTest).
            for (int c = 0; c < 8; c++) {
                Socket socket = new Socket();
                socket.setReceiveBufferSize(4096);
                socket.bind(new InetSocketAddress("127.0." + (c + 1) + ".1", 0));
                socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
                long before = replies.held();
                socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                sockets.add(socket);
                // its reply is held in the server, or (the budget full) it was refused
                await().atMost(Duration.ofSeconds(30)).until(() -> full(replies) || replies.held() > before);
            }
            assertThat(full(replies)).isTrue();
            // once the budget is full, further reads are refused instead of held: 8 x 16 MB were held before
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                try (RawHttp raw = new RawHttp(url)) {
                    return raw.send("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read().status() == 503;
                }
            });
            assertThat(replies.held()).as("the budget and at most one reply past it")
                    .isLessThanOrEqualTo((32L << 20) + (16L << 20));
            try (RawHttp raw = new RawHttp(url)) {
                RawHttp.Response refused = raw.send("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read();
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.body()).contains("UNAVAILABLE").contains("waiting for their clients to read");
            }
            // writes (claims, results) are never refused for it
            try (RawHttp raw = new RawHttp(url)) {
                RawHttp.Response work = raw.send("POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                        + "Connection: close\r\n\r\n").read();
                assertThat(work.status()).isEqualTo(200);
            }
            // and when the non-readers go, reads are served again
            for (Socket socket : sockets) {
                socket.close();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> !full(replies));
            try (RawHttp raw = new RawHttp(url)) {
                assertThat(raw.send("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read().status())
                        .isEqualTo(200);
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
            server.close();
        }
    }

    @Test
    void clientsThatNeverReadLoseTheirShareOfTheReplyBudgetWithinSecondsAndHonestReadersRecover() throws Exception {
        byte[] big = new byte[16 << 20];
        Arrays.fill(big, (byte) 'x');
        Router router = new Router().get("/big", r -> Reply.bytes(big, "text/plain"));
        ByteShares replies = ByteShares.replies(32L << 20);
        // 2 s instead of the default 10 s keeps the test short; the idle timeout stays at 120 s, which
        // is what the non-readers held the budget for before
        HttpServer server = HttpServer.start("127.0.0.1", 0, 1 << 20,
                CoordinatorLimits.defaults().withReplyStallTimeout(Duration.ofSeconds(2)), router,
                new CoordinatorMetrics(), replies);
        String url = "http://127.0.0.1:" + server.port();
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int c = 0; c < 4; c++) {
                Socket socket = new Socket();
                socket.setReceiveBufferSize(4096);
                socket.bind(new InetSocketAddress("127.0." + (c + 1) + ".1", 0));  // a network each, as above
                socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
                socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                sockets.add(socket);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> full(replies));
            // The non-readers stay connected and still read nothing; honest reads are served again
            // once the stall rule closed them, long before their 120 s idle timeout.
            long start = System.nanoTime();
            await().atMost(Duration.ofSeconds(40)).until(() -> {
                try (RawHttp raw = new RawHttp(url)) {
                    return raw.send("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read().status() == 200;
                }
            });
            System.out.printf("honest GET served again %d ms after the budget filled%n",
                    (System.nanoTime() - start) / 1_000_000);
            await().atMost(Duration.ofSeconds(30)).until(() -> replies.held() == 0);
            // the server closed them: what the kernel held arrives, then the end of the stream
            Socket first = sockets.get(0);
            first.setSoTimeout(30_000);
            InputStream in = first.getInputStream();
            byte[] sink = new byte[1 << 16];
            long got = 0;
            for (int n; (n = in.read(sink)) >= 0; ) {
                got += n;
            }
            assertThat(got).as("a cut connection got part of its reply, not all of it").isLessThan(big.length);
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
            server.close();
        }
    }

    @Test
    void aSlowReaderThatKeepsReadingIsNotCutByTheStallRule() throws Exception {
        byte[] big = new byte[8 << 20];
        Arrays.fill(big, (byte) 'x');
        Router router = new Router().get("/big", r -> Reply.bytes(big, "text/plain"));
        HttpServer server = HttpServer.start("127.0.0.1", 0, 1 << 20,
                CoordinatorLimits.defaults().withReplyStallTimeout(Duration.ofSeconds(1)), router,
                new CoordinatorMetrics(), ByteShares.replies(32L << 20));
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            byte[] chunk = new byte[64 << 10];
            long got = 0;
            for (int n; (n = in.read(chunk)) >= 0; ) {
                got += n;
                Thread.sleep(20);  // a slow reader: some 3 MB/s at most, far from instant
            }
            assertThat(got).as("the whole reply, head included").isGreaterThan(big.length);
        } finally {
            server.close();
        }
    }

    /** Every reply byte the budget has is held (32 MiB here). */
    private static boolean full(ByteShares replies) {
        return replies.held() >= 32L << 20;
    }

    private long served(String route) {
        Matcher m = Pattern.compile("rhizome_http_requests_seconds_count\\{method=\"GET\",route=\""
                + Pattern.quote(route) + "\",status=\"200\",?\\} ([0-9.E]+)").matcher(h.api.get("/metrics").text());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    /** Reads one response (head and Content-Length body) and returns its status. */
    private static int skipResponse(InputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("closed after " + head);
            }
            head.append((char) b);
        }
        Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        long length = m.find() ? Long.parseLong(m.group(1)) : 0;
        in.readNBytes((int) length);
        return Integer.parseInt(head.substring(9, 12));
    }
}
