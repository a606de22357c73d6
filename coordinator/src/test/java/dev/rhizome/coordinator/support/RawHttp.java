package dev.rhizome.coordinator.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 over a bare socket, as a hostile client would speak it: bytes written exactly as given
 * (pipelined, trickled, cut short), responses read one at a time.
 */
public final class RawHttp implements AutoCloseable {
    public record Response(int status, String headers, String body) {
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawHttp(String baseUrl) throws IOException {
        this(baseUrl, null);
    }

    /** From a given local address (e.g. 127.0.0.2: on Linux all of 127/8 is loopback), or any when null. */
    public RawHttp(String baseUrl, String localAddress) throws IOException {
        URI uri = URI.create(baseUrl);
        socket = localAddress == null ? new Socket(uri.getHost(), uri.getPort())
                : new Socket(uri.getHost(), uri.getPort(), InetAddress.getByName(localAddress), 0);
        socket.setSoTimeout(20_000);
        in = new java.io.BufferedInputStream(socket.getInputStream());  // read() a byte at a time
        out = socket.getOutputStream();
    }

    public static String request(String method, String path, String contentType, byte[] body) {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: test\r\n");
        if (contentType != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        return head.toString();
    }

    public static byte[] bytes(String method, String path, String contentType, byte[] body) {
        byte[] head = request(method, path, contentType, body).getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    public RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    public RawHttp send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads one response with a Content-Length body. */
    public Response read() throws IOException {
        String head = readHead();
        int status = Integer.parseInt(head.substring(9, 12));
        int length = 0;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        return new Response(status, head, new String(body, StandardCharsets.UTF_8));
    }

    /** Reads one response's status line and headers only: the answer to a HEAD has no body. */
    public Response readHeadOnly() throws IOException {
        String head = readHead();
        return new Response(Integer.parseInt(head.substring(9, 12)), head, "");
    }

    /** Whether bytes of an answer have come and wait to be read (never blocks). */
    public boolean answerWaiting() throws IOException {
        return in.available() > 0;
    }

    /** Half-closes: the server reads an end of stream after what was sent, and may still answer. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** Closes with a reset (SO_LINGER 0), as a client that crashed or vanished does: no FIN, no half-close. */
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    /**
     * How long {@link #closedByServer} waits for a close that is due. The server closes as soon as
     * the answer that says so is written, but on a loaded machine (load 20 to 40 on two cores) its
     * event loop may not run for a while: waiting 200 ms, PipelinedHeadRefusalsOrderTest saw a
     * refusal that said "Connection: close" as "not closed" now and then.
     */
    public static final java.time.Duration CLOSE_DUE = java.time.Duration.ofSeconds(30);

    /**
     * True once the server closed the connection (end of stream or reset), waiting up to
     * {@link #CLOSE_DUE} for a close it owes; false when a byte of another answer comes first, or
     * nothing at all. To hold that a connection stays open, use {@link #closedWithin} with a short wait.
     */
    public boolean closedByServer() {
        return closedWithin(CLOSE_DUE);
    }

    /**
     * Whether the server closes the connection (end of stream or reset) within {@code wait} with
     * nothing more sent first: false when a byte of another answer comes, or nothing at all.
     */
    public boolean closedWithin(java.time.Duration wait) {
        try {
            socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after " + head.size() + " bytes of a response head");
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
