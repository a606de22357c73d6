package dev.rhizome.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The node's {@code /metrics} on loopback, where every local process can connect: a connection
 * that sends part of a request and then nothing kept the JDK server's one worker reading it, and
 * no scrape was answered for as long as it stayed open.
 */
class MetricsServerTest {
    private static final String TEXT = "rhizome_node_up 1\n";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

    @Test
    void connectionsThatSendHalfARequestNeitherStopScrapesNorStayOpen() throws Exception {
        try (MetricsServer server = MetricsServer.start(0, () -> TEXT, Duration.ofSeconds(2))) {
            List<Socket> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
                    s.getOutputStream().write("GET /metr".getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    stalled.add(s);
                }
                HttpResponse<String> scraped = scrape(server, "/metrics");
                assertThat(scraped.statusCode()).isEqualTo(200);
                assertThat(scraped.body()).isEqualTo(TEXT);

                // Each stalled connection is closed by the server once its lifetime is over.
                for (Socket s : stalled) {
                    s.setSoTimeout(120_000);
                    assertThat(readToEnd(s.getInputStream())).as("what a stalled connection got").isEmpty();
                }
            } finally {
                for (Socket s : stalled) {
                    s.close();
                }
            }
        }
    }

    @Test
    void connectionsPastTheCapAreClosedAtOnceAndScrapesAreServedOnceTheyEnd() throws Exception {
        // Connections live long here: any closed meanwhile was closed for the cap.
        try (MetricsServer server = MetricsServer.start(0, () -> TEXT, Duration.ofMinutes(10))) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < MetricsServer.MAX_CONNECTIONS; i++) {
                    held.add(new Socket(InetAddress.getLoopbackAddress(), server.port()));
                }
                try (Socket over = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                    over.setSoTimeout(60_000);
                    assertThat(over.getInputStream().read()).as("a connection over the cap").isEqualTo(-1);
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            await().atMost(Duration.ofMinutes(1)).ignoreExceptions().untilAsserted(() ->
                    assertThat(scrape(server, "/metrics").body()).isEqualTo(TEXT));
        }
    }

    @Test
    void onlyGetOfMetricsIsServedAndEachConnectionCarriesOneRequest() throws Exception {
        try (MetricsServer server = MetricsServer.start(0, () -> TEXT)) {
            assertThat(scrape(server, "/other").statusCode()).isEqualTo(404);
            assertThat(scrape(server, "/metrics?x=1").body()).isEqualTo(TEXT);
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(url(server, "/metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);

            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                s.setSoTimeout(60_000);
                String twice = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2);
                s.getOutputStream().write(twice.getBytes(StandardCharsets.US_ASCII));
                String answer = readToEnd(s.getInputStream());
                assertThat(answer).startsWith("HTTP/1.1 200").contains("connection: close").endsWith(TEXT);
                assertThat(answer.split("HTTP/1.1 ", -1)).as("responses on one connection").hasSize(2);
            }
        }
    }

    private HttpResponse<String> scrape(MetricsServer server, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(url(server, path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static URI url(MetricsServer server, String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static String readToEnd(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
}
