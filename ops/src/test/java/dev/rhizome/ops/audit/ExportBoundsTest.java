package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rhizome export} against a server that answers a page with more than any page holds (a
 * wrong port, a hostile server): the page is refused once past the bound, as the coordinator
 * client refuses answers, instead of being read whole into memory however large.
 */
class ExportBoundsTest {
    @TempDir
    Path dir;

    @Test
    void aPageLargerThanTheBoundIsRefusedByNameAndNothingIsWritten() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        long[] sent = {0};
        server.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, 0);  // chunked: no length to judge it by in advance
            byte[] chunk = new byte[64 << 10];
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 256; i++) {  // 16 MiB, or until the client hangs up
                    out.write(chunk);
                    sent[0] += chunk.length;
                }
            } catch (IOException hungUp) {
                // the export cancelled the exchange: as meant
            }
        });
        server.start();
        try {
            Path out = dir.resolve("audit.jsonl");
            URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
            assertThatThrownBy(() -> AuditExport.export(base, out, 0, 1 << 20, n -> { }))
                    .isInstanceOf(AuditExport.NotACoordinatorException.class)
                    // its first read: the coordinator's network, for the header
                    .hasMessageContaining("GET /v1/stats").hasMessageContaining("larger than 1 MiB");
            assertThat(Files.exists(out)).isFalse();
        } finally {
            server.stop(0);
        }
    }
}
