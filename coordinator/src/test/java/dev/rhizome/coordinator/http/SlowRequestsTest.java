package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.MinDataRate;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.support.RawHttp;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The minimum data rate (round 30), on raw sockets: a body that stopped arriving, or header lines
 * trickled a few bytes at a time, held a connection for the whole request deadline (30 s); now each
 * window of a request in progress must bring the floor's bytes, else 408 and the connection closes,
 * counted as {@code slow_request}. The deadline is set far off here (120 s), so only the rate can
 * cut. An honest upload moving well above the floor, however long it takes, is never cut; nor is a
 * client waiting on a reply it is owed before it sends on.
 */
class SlowRequestsTest {
    /** 2,000 bytes per 2 s window: a client that moves at all clears it; one that stops does not. */
    private static final MinDataRate FLOOR = new MinDataRate(1_000, Duration.ofSeconds(2));

    private final CoordinatorMetrics metrics = new CoordinatorMetrics();
    private final CountDownLatch release = new CountDownLatch(1);
    private HttpServer server;
    private String url;

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.close();
        }
    }

    private void start() throws Exception {
        Router router = new Router()
                .get("/small", r -> Reply.text("ok"))
                .get("/held", r -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Reply.text("held");
                })
                .post("/upload", r -> Reply.text("took " + r.body().length));
        server = HttpServer.start("127.0.0.1", 0, 1 << 20, CoordinatorLimits.defaults()
                .withTimeouts(Duration.ofSeconds(120), Duration.ofSeconds(120)).withMinDataRate(FLOOR), router, metrics);
        url = "http://127.0.0.1:" + server.port();
    }

    @Test
    void headerLinesThatStopArrivingAreAnswered408AndCountedAsSlow() throws Exception {
        start();
        try (RawHttp raw = new RawHttp(url)) {
            raw.send("GET /small HTTP/1.1\r\nHost: x\r\nX-Trickle: a");
            RawHttp.Response r = raw.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.body()).contains("too slowly").contains("1000 bytes a second");
            await().atMost(Duration.ofSeconds(20)).until(raw::closedByServer);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> closed("slow_request") == 1);
        assertThat(closed("request_timeout")).as("the rate cut it, long before the deadline").isZero();
    }

    @Test
    void aBodyThatStopsArrivingIsCutLongBeforeTheDeadline() throws Exception {
        start();
        try (RawHttp raw = new RawHttp(url)) {
            raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
            raw.send(new byte[20_000]);
            long sent = System.nanoTime();
            RawHttp.Response r = raw.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("cut by the rate, not the 120 s deadline")
                    .isLessThan(Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(20)).until(raw::closedByServer);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> closed("slow_request") == 1);
    }

    @Test
    void anHonestUploadMovingAboveTheFloorIsNeverCutHoweverLongItTakes() throws Exception {
        start();
        byte[] piece = new byte[2_000];
        Arrays.fill(piece, (byte) 'a');
        int pieces = 40;  // 80 KB at about 20 KB/s: ten times the floor, over several windows
        try (RawHttp raw = new RawHttp(url)) {
            raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: "
                    + pieces * piece.length + "\r\n\r\n");
            for (int i = 0; i < pieces; i++) {
                raw.send(piece);
                Thread.sleep(100);  // the pace of a slow link, not a wait for a condition
            }
            RawHttp.Response r = raw.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("took " + pieces * piece.length);
        }
        assertThat(closed("slow_request")).isZero();
    }

    @Test
    void aClientWaitingOnAReplyItIsOwedIsNotJudged() throws Exception {
        start();
        try (RawHttp raw = new RawHttp(url)) {
            // The held reply is owed; the client sends part of its next request and waits for the
            // first answer before the rest, as a client reading before it writes on may.
            raw.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\n");
            // several windows pass with nothing new arriving, while a reply is owed
            await().pollDelay(Duration.ofMillis(3 * FLOOR.window().toMillis())).atMost(Duration.ofSeconds(30))
                    .until(() -> true);
            assertThat(closed("slow_request")).as("not judged while the client may be waiting on us").isZero();
            release.countDown();
            assertThat(raw.read().body()).isEqualTo("held");
            // The client reads its answer, then takes a moment before the rest: its window starts
            // whole when its wait ends, not on the schedule its wait began on (which judged the
            // stretch it spent waiting and cut it, CI at low load).
            Thread.sleep(FLOOR.window().toMillis() / 4);  // the client's pace, not a wait for a condition
            raw.send("Host: x\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }
    }

    private long closed(String reason) {
        Matcher m = Pattern.compile("rhizome_connections_closed_total\\{reason=\"" + reason + "\",?\\} ([0-9.E]+)")
                .matcher(metrics.scrape());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }
}
