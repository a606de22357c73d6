package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.LogCapture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Request bytes as a hostile client sends them, in any read sizes, to a real coordinator on
 * loopback (its whole Netty pipeline, routes and store): raw bytes, or requests built from the
 * fuzzer's choices over every route, its query parameters (paging, cursors, filters), methods,
 * versions, framing headers and bodies. The client half-closes; the server must answer with
 * well-formed HTTP responses, none a 500, then close, within the read timeout, and no exception
 * may reach a log (Netty's "reached the tail of the pipeline" included).
 */
class RawHttpFuzzTest {
    private static final Server SERVER = Server.start();
    private static final int READ_TIMEOUT_MS = 30_000;
    private static final String[] METHODS = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "get", ""};
    private static final String[] VERSIONS = {"HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/0.9", "HTTP/1.1 x", ""};
    private static final String[] VALUES = {"", "0", "1", "-1", "10", "1000", "99999999999999999999", "abc", "%zz",
        "%ff", "%00", "a%20b", "+", "%2F..%2F", "00000000000000000000000000000000000000aa", "proposed", "running"};
    private static final String[] HEADERS = {"Content-Length", "Transfer-Encoding", "Content-Type", "Connection",
        "Expect", "X-Forwarded-For", "Content-Encoding", "Accept", "Host", "Upgrade", "If-Match"};
    private static final String[] HEADER_VALUES = {"chunked", "close", "keep-alive", "100-continue", "gzip",
        "application/json", "application/x-protobuf", "0", "5", "-1", "18446744073709551616", "1.2.3.4", "h2c", " ",
        "*", "\"x\"", "close, Content-Length", "If-Match"};

    @FuzzTest(maxDuration = "2m")
    void anyBytesGetWellFormedAnswersAndAClose(FuzzedDataProvider data) throws IOException {
        // Jazzer's SSRF detector flags every connection a fuzz test makes; this one's are to its own server.
        try (var loopback = BugDetectors.allowNetworkConnections((host, port) -> port == SERVER.port)) {
            exchangeAndJudge(data);
        }
    }

    private static void exchangeAndJudge(FuzzedDataProvider data) throws IOException {
        byte[] request = data.consumeBoolean() ? built(data) : data.consumeBytes(1 << 16);
        List<Integer> cuts = new ArrayList<>();
        while (data.remainingBytes() > 0 && cuts.size() < 8) {
            cuts.add(data.consumeInt(1, Math.max(1, request.length)));
        }
        int logged = SERVER.logs.withStackTracesFrom("dev.rhizome", "io.netty").size();
        byte[] answer = exchange(request, cuts);
        for (Response response : parse(answer)) {
            assertThat(response.status).as("status of an answer to %s", show(request)).isNotEqualTo(500);
        }
        assertThat(SERVER.logs.withStackTracesFrom("dev.rhizome", "io.netty")).as("exceptions logged").hasSize(logged);
    }

    /** One to three requests of every route's shape, their parts chosen by the fuzzer. */
    private static byte[] built(FuzzedDataProvider data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int requests = data.consumeInt(1, 3);
        for (int i = 0; i < requests; i++) {
            String method = data.consumeBoolean() ? data.pickValue(METHODS) : data.consumeAsciiString(8);
            String path = data.pickValue(SERVER.paths);
            StringBuilder target = new StringBuilder(data.consumeBoolean() ? path : path + data.consumeAsciiString(12));
            int params = data.consumeInt(0, 3);
            for (int p = 0; p < params; p++) {
                target.append(p == 0 ? '?' : '&');
                Set<String> known = RouteTable.params(path);
                target.append(known.isEmpty() || data.consumeBoolean() ? data.consumeAsciiString(8) : data.pickValue(known));
                if (data.consumeBoolean()) {
                    target.append('=').append(data.consumeBoolean() ? data.pickValue(VALUES) : data.consumeAsciiString(16));
                }
            }
            String version = data.pickValue(VERSIONS);
            out.writeBytes((method + " " + target + " " + version + "\r\nHost: fuzz\r\n").getBytes(StandardCharsets.ISO_8859_1));
            byte[] body = data.consumeBytes(data.consumeInt(0, 256));
            int headers = data.consumeInt(0, 4);
            for (int h = 0; h < headers; h++) {
                String value = data.consumeBoolean() ? data.pickValue(HEADER_VALUES) : data.consumeAsciiString(16);
                out.writeBytes((data.pickValue(HEADERS) + ": " + value + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            if (data.consumeBoolean()) {
                out.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.writeBytes(body);
        }
        return out.toByteArray();
    }

    /** Writes the request cut at {@code cuts}, half-closes, and reads until the server closes. */
    private static byte[] exchange(byte[] request, List<Integer> cuts) throws IOException {
        URI uri = URI.create(SERVER.harness.coordinator.url());
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(READ_TIMEOUT_MS);
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            try {
                int at = 0;
                for (int cut : cuts) {
                    int n = Math.min(cut, request.length - at);
                    out.write(request, at, n);
                    out.flush();
                    at += n;
                }
                out.write(request, at, request.length - at);
                out.flush();
                socket.shutdownOutput();
            } catch (SocketException closedWhileWriting) {
                // The server may refuse and close before reading everything: what it said is still read.
            }
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    answer.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                fail("no answer and no close within %d ms of %s; got %s", READ_TIMEOUT_MS, show(request),
                        show(answer.toByteArray()));
            } catch (SocketException reset) {
                // A reset after a refusal: what arrived before it is judged.
            }
            return answer.toByteArray();
        }
    }

    private record Response(int status) {
    }

    /**
     * The answers, each a status line, headers and a body framed by Content-Length or chunked (a
     * HEAD's answer has none, whatever its Content-Length says: tried when the framed body leaves no
     * response after it).
     */
    private static List<Response> parse(byte[] answer) {
        List<Response> responses = new ArrayList<>();
        int at = 0;
        while (at < answer.length) {
            String rest = new String(answer, at, answer.length - at, StandardCharsets.ISO_8859_1);
            assertThat(rest).as("a response starts with a status line").matches("(?s)HTTP/1\\.[01] [1-5][0-9][0-9] .*");
            int headEnd = rest.indexOf("\r\n\r\n");
            assertThat(headEnd).as("a response head ends: %s", show(answer)).isPositive();
            String head = rest.substring(0, headEnd);
            responses.add(new Response(Integer.parseInt(head.substring(9, 12))));
            int bodyStart = at + headEnd + 4;
            long length = 0;
            boolean chunked = false;
            for (String line : head.split("\r\n")) {
                String lower = line.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(line.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            int next = chunked ? afterChunks(answer, bodyStart) : (int) Math.min(answer.length + 1L, bodyStart + length);
            boolean framed = next == answer.length || (next < answer.length && startsWith(answer, next, "HTTP/1."));
            at = framed ? next : bodyStart;
            assertThat(at).as("a body within the answer: %s", show(answer)).isLessThanOrEqualTo(answer.length);
        }
        return responses;
    }

    private static int afterChunks(byte[] answer, int at) {
        while (true) {
            int lineEnd = indexOf(answer, at, "\r\n");
            assertThat(lineEnd).as("a chunk size line").isGreaterThanOrEqualTo(0);
            String size = new String(answer, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int n = Integer.parseInt(size, 16);
            at = lineEnd + 2;
            if (n == 0) {
                int end = indexOf(answer, at, "\r\n\r\n");
                return at + 2 <= answer.length && startsWith(answer, at, "\r\n") ? at + 2 : end + 4;
            }
            at += n + 2;
        }
    }

    private static int indexOf(byte[] bytes, int from, String what) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        return text.indexOf(what, from);
    }

    private static boolean startsWith(byte[] bytes, int at, String prefix) {
        return new String(bytes, at, Math.min(prefix.length(), bytes.length - at), StandardCharsets.ISO_8859_1)
                .equals(prefix);
    }

    private static String show(byte[] bytes) {
        String text = new String(bytes, 0, Math.min(bytes.length, 400), StandardCharsets.ISO_8859_1);
        return "'" + text.replace("\r", "\\r").replace("\n", "\\n") + (bytes.length > 400 ? "...'" : "'");
    }

    /** One coordinator per fuzzing process, with a seed and a direction, so that reads find records. */
    private static final class Server {
        final Harness harness;
        final LogCapture logs = new LogCapture();
        final List<String> paths;
        final int port;

        private Server(Harness harness) {
            this.harness = harness;
            this.port = URI.create(harness.coordinator.url()).getPort();
            Set<String> all = new TreeSet<>(RouteTable.paths("GET"));
            all.addAll(RouteTable.paths("POST"));
            this.paths = List.copyOf(all);
        }

        static Server start() {
            try {
                return new Server(new Harness(Files.createTempDirectory("raw-http-fuzz"), Fixtures.manifest(1, 0.01),
                        ApiClient.Format.JSON).withSeedAndDirection());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
