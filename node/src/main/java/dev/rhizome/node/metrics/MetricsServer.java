package dev.rhizome.node.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} on loopback only: a node's numbers are for the volunteer's own Prometheus,
 * not for the peers that can reach its peer port.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;

    private MetricsServer(HttpServer server) {
        this.server = server;
    }

    /** Serves on 127.0.0.1:{@code port} (0 for a free port). */
    public static MetricsServer start(int port, NodeMetrics metrics) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        server.createContext("/", exchange -> {
            try (exchange) {
                if (!exchange.getRequestURI().getPath().equals("/metrics")) {
                    reply(exchange, 404, "only /metrics is served here\n");
                } else if (!exchange.getRequestMethod().equals("GET")) {
                    reply(exchange, 405, "GET only\n");
                } else {
                    String body;
                    try {
                        body = metrics.scrape();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        reply(exchange, 503, "node is stopping\n");
                        return;
                    } catch (RuntimeException e) {
                        log.warn("metrics scrape failed", e);
                        reply(exchange, 500, "scrape failed: " + e + "\n");
                        return;
                    }
                    reply(exchange, 200, body);
                }
            }
        });
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "metrics-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        return new MetricsServer(server);
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
    }
}
