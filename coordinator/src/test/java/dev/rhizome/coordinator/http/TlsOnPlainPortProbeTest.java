package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A TLS client pointed at the coordinator's plain HTTP port (round 24, raw sockets): an operator
 * who wrote {@code https://} for a coordinator without TLS, or a scanner. Its ClientHello is no
 * request line; the client then waits for a ServerHello and sends nothing more, so a server that
 * waited for the line's end held the connection, under its address's cap, to the request deadline
 * (30 s). It is refused at its first byte (400 naming it, in plain text the client cannot read)
 * and closed at once, and a neighbour is served.
 */
class TlsOnPlainPortProbeTest extends SeededCoordinatorTest {
    /** The start of a TLS 1.2 ClientHello record: handshake (22), version 3.1, length, type 1 (client hello). */
    private static final byte[] CLIENT_HELLO = {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4,
        0x03, 0x03, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00};

    @Test
    void aClientHelloIsRefusedAtItsFirstByteAndClosedNotHeldToTheDeadline() throws Exception {
        URI uri = URI.create(h.coordinator.url());
        try (Socket tls = new Socket(uri.getHost(), uri.getPort())) {
            // far under the 30 s request deadline: a close then is this refusal's, not the deadline's
            tls.setSoTimeout(10_000);
            tls.getOutputStream().write(CLIENT_HELLO);
            tls.getOutputStream().flush();
            String answer = readToEnd(tls.getInputStream());
            assertThat(answer).as("the refusal, then the close").startsWith("HTTP/1.1 400 ");
            assertThat(answer).contains("BAD_REQUEST");
        }
        assertThat(exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").body()).isEqualTo("ok");
    }

    /** Everything until the server closes; a SocketTimeoutException (the server held on) fails the test. */
    private static String readToEnd(InputStream in) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        for (int n; (n = in.read(buffer)) >= 0; ) {
            all.write(buffer, 0, n);
        }
        return all.toString(StandardCharsets.ISO_8859_1);
    }
}
