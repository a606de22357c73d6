package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.support.RawHttp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Real sockets on loopback from distinct addresses: 127.0.0.2 fills the server with slow
 * requests (40 connections of 16 pipelined each, more than the worker pool and its queue hold),
 * and 127.0.0.3 is still answered at once, because each address has its own share of the
 * workers and the queue. With one first-come-first-served pool its request waited behind all of them.
 */
class WorkerShareTest {
    @Test
    void anAddressFillingTheServerWithSlowRequestsDoesNotStarveAnother() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger slowRunning = new AtomicInteger();
        Router router = new Router()
                .get("/slow", r -> {
                    slowRunning.incrementAndGet();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Reply.text("slow");
                })
                .get("/fast", r -> Reply.text("fast"));
        HttpServer server = HttpServer.start("127.0.0.1", 0, 1 << 20, CoordinatorLimits.defaults(), router,
                new CoordinatorMetrics());
        String url = "http://127.0.0.1:" + server.port();
        List<RawHttp> hog = new ArrayList<>();
        try {
            String sixteen = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".repeat(16);
            for (int i = 0; i < 40; i++) {
                hog.add(new RawHttp(url, "127.0.0.2").send(sixteen));
            }
            // the hog holds every worker its share allows, and the rest of its requests wait or were refused
            await().atMost(Duration.ofSeconds(60)).until(() -> slowRunning.get() >= 24);
            try (RawHttp other = new RawHttp(url, "127.0.0.3")) {
                RawHttp.Response r = other.send("GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("fast");
            }
            assertThat(slowRunning.get()).as("one address runs on at most 24 of the 32 workers").isEqualTo(24);
        } finally {
            release.countDown();
            for (RawHttp c : hog) {
                c.close();
            }
            server.close();
        }
    }
}
