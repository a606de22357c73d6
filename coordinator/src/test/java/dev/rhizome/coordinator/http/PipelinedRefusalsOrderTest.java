package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.support.RawHttp;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A refusal made before the routes (a body over the size limit, a body past its client's share of
 * the body budget) is answered in its place among the connection's replies. Written at once, a
 * client that had pipelined a request before it read the refusal as that request's answer (and
 * the reply it was owed never came): requests and answers out of step, as in a desync.
 */
class PipelinedRefusalsOrderTest {
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private RawHttp start(ByteShares bodies) throws Exception {
        Router router = new Router().get("/slow", r -> {
            try {
                Thread.sleep(1_000);  // a route still working when the next request is refused
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Reply.text("slow");
        });
        server = HttpServer.start("127.0.0.1", 0, 1 << 20, CoordinatorLimits.defaults(), router, new CoordinatorMetrics(),
                ByteShares.replies(ByteShares.DEFAULT_REPLY_BYTES), bodies, TrustedProxies.NONE);
        return new RawHttp("http://127.0.0.1:" + server.port(), "127.0.0.1");
    }

    @Test
    void aBodyOverTheLimitIsRefusedAfterTheAnswersToTheRequestsBeforeIt() throws Exception {
        try (RawHttp raw = start(ByteShares.bodies(256L << 20, 1 << 20))) {
            raw.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
            raw.send(new byte[64 << 10]);  // the client is still sending its body
            RawHttp.Response first = raw.read();
            RawHttp.Response second = raw.read();
            RawHttp.Response refused = raw.read();
            assertThat(List.of(first.body(), second.body())).containsExactly("slow", "slow");
            assertThat(refused.status()).isEqualTo(413);
            assertThat(refused.body()).contains("exceeds 1048576 bytes");
            assertThat(raw.closedByServer()).isTrue();
        }
    }

    @Test
    void aBodyPastItsClientsShareIsRefusedAfterTheAnswersToTheRequestsBeforeIt() throws Exception {
        // bodies of at most 1 MiB: an address's share is 1 MiB, which one unfinished body holds most of
        ByteShares bodies = ByteShares.bodies(2L << 20, 1 << 20);
        try (RawHttp raw = start(bodies);
                RawHttp other = new RawHttp("http://127.0.0.1:" + server.port(), "127.0.0.1")) {
            other.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n").send(new byte[800_000]);
            await().atMost(Duration.ofSeconds(30)).until(() -> bodies.held("127.0.0.1") == 800_000);
            raw.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n").send(new byte[300_000]);
            RawHttp.Response first = raw.read();
            RawHttp.Response refused = raw.read();
            assertThat(first.body()).isEqualTo("slow");
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.body()).contains("your address");
            assertThat(raw.closedByServer()).isTrue();
        }
    }
}
