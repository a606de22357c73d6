package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Round 27 of the hostile client (raw sockets): 100 requests in one write, slow routes (the
 * dashboard, a 1,000-item page, the metrics) between fast ones and a bad one among them. Each is
 * answered in the order sent; a request refused for what it asks (a bad parameter, a method, a
 * missing route, a body that is no envelope) keeps the connection, and one that cannot be read
 * as HTTP (a header line without a colon, a long Host that is no host) is the last answered.
 */
class MixedPipelineTest {
    private static final String[] ROUTES = {"/v1/dashboard", "/v1/results?limit=1000", "/metrics", "/healthz", "/v1/stats"};

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json().into(started -> h = started);

    /** Request i of a pipeline: one of ROUTES, told apart by the status and what its body holds. */
    private static String plain(int i) {
        return "GET " + ROUTES[i % ROUTES.length] + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    private static boolean isAnswerTo(int i, RawHttp.Response r) {
        String route = ROUTES[i % ROUTES.length];
        return r.status() == 200 && switch (route) {
            case "/v1/dashboard" -> r.body().contains("directions_open");
            case "/v1/results?limit=1000" -> r.body().startsWith("{") && !r.body().contains("network_id")
                    && !r.body().contains("directions_open");
            case "/metrics" -> r.body().contains("# TYPE");
            case "/healthz" -> r.body().strip().equals("ok");
            default -> r.body().contains("network_id");
        };
    }

    @Test
    void refusalsOfWhatIsAskedKeepTheOrderAndTheConnection() throws Exception {
        List<String> bad = List.of("GET /v1/results?limit=abc HTTP/1.1\r\nHost: x\r\n\r\n",
                "TRACE /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
                "POST /v1/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
        int[] at = {20, 45, 70, 90};
        int[] status = {400, 405, 404, 400};
        StringBuilder all = new StringBuilder();
        for (int i = 0, b = 0; i < 100; i++) {
            all.append(b < at.length && at[b] == i ? bad.get(b++) : plain(i));
        }
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(all.toString());
            List<String> wrong = new ArrayList<>();
            for (int i = 0, b = 0; i < 100; i++) {
                RawHttp.Response r = raw.read();
                if (b < at.length && at[b] == i) {
                    if (r.status() != status[b] || r.headers().toLowerCase(Locale.ROOT).contains("connection: close")) {
                        wrong.add(i + ": " + r.status() + " " + r.headers());
                    }
                    b++;
                } else if (!isAnswerTo(i, r)) {
                    wrong.add(i + ": " + r.status() + " is not the answer to " + ROUTES[i % ROUTES.length]);
                }
            }
            assertThat(wrong).as("answers out of order or wrong").isEmpty();
            assertThat(raw.closedWithin(Duration.ofMillis(200))).as("refusals of what was asked keep the connection").isFalse();
        }
    }

    @Test
    void aRequestThatIsNoHttpIsTheLastAnswered() throws Exception {
        for (String broken : new String[] {"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
                "GET /healthz HTTP/1.1\r\nHost: " + "a".repeat(3_000) + " b\r\n\r\n"}) {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 100; i++) {
                all.append(i == 50 ? broken : plain(i));
            }
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                raw.send(all.toString());
                for (int i = 0; i < 50; i++) {
                    RawHttp.Response r = raw.read();
                    assertThat(isAnswerTo(i, r)).as("answer %d: %s", i, r.status()).isTrue();
                }
                RawHttp.Response refused = raw.read();
                assertThat(refused.status()).isEqualTo(400);
                assertThat(refused.headers().toLowerCase(Locale.ROOT)).contains("connection: close");
                assertThat(raw.closedByServer()).as("nothing after the unreadable request is answered").isTrue();
            }
        }
    }
}
