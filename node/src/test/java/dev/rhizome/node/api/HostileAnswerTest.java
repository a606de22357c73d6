package dev.rhizome.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Whatever answers at the coordinator's URL may be hostile (a wrong port, a proxy, an attacker on
 * the path): a real HTTP server on loopback, written by hand, sends an endless body or trickles
 * one, and the node's client gives up with a clear reason instead of filling its heap or holding
 * its caller forever.
 */
class HostileAnswerTest {

    /** Answers every connection with these headers, then feeds the body as {@code body} says. */
    private static final class RawServer implements AutoCloseable {
        interface Body {
            void write(OutputStream out) throws IOException, InterruptedException;
        }

        final ServerSocket socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        final AtomicBoolean peerClosed = new AtomicBoolean();
        final Thread thread;

        RawServer(String headers, Body body) throws IOException {
            thread = new Thread(() -> {
                try (Socket s = socket.accept()) {
                    InputStream in = s.getInputStream();
                    int crlf = 0;  // read the request up to its blank line
                    while (crlf < 4) {
                        int b = in.read();
                        if (b < 0) {
                            return;
                        }
                        crlf = (b == '\r' || b == '\n') ? crlf + 1 : 0;
                    }
                    OutputStream out = s.getOutputStream();
                    out.write(headers.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    body.write(out);
                } catch (IOException e) {
                    peerClosed.set(true);  // the client hung up while the body was still coming
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "hostile-answer");
            thread.setDaemon(true);
            thread.start();
        }

        String url() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            thread.interrupt();
            socket.close();
        }
    }

    @Test
    void anEndlessBodyIsCutAtTheBoundAndTheExchangeIsClosed() throws Exception {
        AtomicLong sent = new AtomicLong();
        try (RawServer server = new RawServer("HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n"
                + "Content-Length: 100000000000\r\n\r\n", out -> {
                    byte[] chunk = new byte[64 * 1024];
                    while (true) {
                        out.write(chunk);
                        sent.addAndGet(chunk.length);
                    }
                })) {
            CoordinatorClient client = new CoordinatorClient(server.url(), Identity.generate(), Duration.ofSeconds(30),
                    1 << 20);
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(() -> client.experimentReport(
                    "0123456789abcdef0123456789abcdef01234567"))
                    .isInstanceOf(CoordinatorException.class)
                    .hasMessageContaining("larger than 1 MiB"));
            // the client stopped reading and closed the connection: the server's writes fail
            await().atMost(Duration.ofSeconds(30)).untilTrue(server.peerClosed);
            assertThat(sent.get()).isLessThan(64L << 20);
        }
    }

    @Test
    void aTrickledBodyIsGivenUpAtTheDeadline() throws Exception {
        try (RawServer server = new RawServer("HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n"
                + "Content-Length: 100000\r\n\r\n", out -> {
                    while (true) {
                        out.write(0);
                        out.flush();
                        Thread.sleep(200);  // the behaviour: a server trickling its answer
                    }
                })) {
            CoordinatorClient client = new CoordinatorClient(server.url(), Identity.generate(), Duration.ofSeconds(1));
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(() -> client.experimentReport(
                    "0123456789abcdef0123456789abcdef01234567"))
                    .isInstanceOf(CoordinatorException.class)
                    .hasMessageContaining("did not send a whole answer")
                    .hasMessageContaining("within 2 s"));
        }
    }
}
