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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real sockets on loopback from distinct addresses (the loopback net is a /8, so 127.0.1.x and
 * 127.0.2.x are two /24 networks): a hog fills the server with slow requests (40 connections of 16
 * pipelined each, more than the worker pool and its queue hold), and others are still answered at
 * once, because each network, and each address within it, has its own share of the workers and
 * the queue. With one first-come-first-served pool their requests waited behind all of them; with
 * shares per address only, a hog spreading its connections over the addresses of its network took
 * a share for each.
 */
class WorkerShareTest {
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger slowRunning = new AtomicInteger();
    private final List<RawHttp> hog = new ArrayList<>();
    private HttpServer server;
    private String url;

    @BeforeEach
    void start() throws Exception {
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
        server = HttpServer.start("127.0.0.1", 0, 1 << 20, CoordinatorLimits.defaults(), router, new CoordinatorMetrics());
        url = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        for (RawHttp c : hog) {
            c.close();
        }
        server.close();
    }

    private void hogFrom(String... addresses) throws Exception {
        String sixteen = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".repeat(16);
        for (int i = 0; i < 40; i++) {
            hog.add(new RawHttp(url, addresses[i % addresses.length]).send(sixteen));
        }
    }

    private void answeredAtOnce(String from) throws Exception {
        try (RawHttp other = new RawHttp(url, from)) {
            RawHttp.Response r = other.send("GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read();
            assertThat(r.status()).as("from " + from).isEqualTo(200);
            assertThat(r.body()).isEqualTo("fast");
        }
    }

    @Test
    void anAddressFillingTheServerWithSlowRequestsStarvesNeitherItsNeighboursNorOtherNetworks() throws Exception {
        hogFrom("127.0.1.2");
        // the hog holds every worker its share allows, and the rest of its requests wait or were refused
        await().atMost(Duration.ofSeconds(60)).until(() -> slowRunning.get() >= 16);
        answeredAtOnce("127.0.1.3");
        answeredAtOnce("127.0.2.3");
        assertThat(slowRunning.get()).as("one address runs on at most 16 of the 32 workers").isEqualTo(16);
    }

    @Test
    void aNetworkSpreadOverManyAddressesTakesOneNetworksShare() throws Exception {
        hogFrom("127.0.1.2", "127.0.1.3", "127.0.1.4", "127.0.1.5");
        await().atMost(Duration.ofSeconds(60)).until(() -> slowRunning.get() >= 24);
        answeredAtOnce("127.0.2.3");
        assertThat(slowRunning.get()).as("one /24 runs on at most 24 of the 32 workers, from however many addresses")
                .isEqualTo(24);
    }
}
