package dev.rhizome.ops.bench;

import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Map;

/**
 * A client that attacks the coordinator over bare sockets, one attack after another: a trickled
 * request (slowloris), an oversized body, a replayed claim, a JSON body with trailing garbage, and
 * a pipelined burst whose replies must come back in order. Each attack has an expected ending
 * (a refusal or a closed connection); anything else is counted as an unexpected error.
 */
final class HostileClient {
    /** A direction the soak opens and closes at once: claims there lease nothing. */
    static final String CLOSED_DIRECTION = "soak-closed";
    private static final String[] ATTACKS = {"slowloris", "oversized", "replay", "garbage_json", "pipelined"};

    private final URI base;
    private final Identity identity;
    /** The coordinator's network id, which the claims signed here name (as an honest client's do). */
    private final String network;
    private int next;

    HostileClient(String url, String network, Identity identity, int offset) {
        this.base = URI.create(url);
        this.network = network;
        this.identity = identity;
        this.next = offset;
    }

    void runUntil(long deadlineNanos, Map<String, Long> outcomes, Map<String, Long> unexpected) {
        while (System.nanoTime() < deadlineNanos && !Thread.currentThread().isInterrupted()) {
            String attack = ATTACKS[next++ % ATTACKS.length];
            String outcome;
            try {
                outcome = switch (attack) {
                    case "slowloris" -> slowloris(deadlineNanos);
                    case "oversized" -> oversized();
                    case "replay" -> replay();
                    case "garbage_json" -> garbageJson();
                    default -> pipelined();
                };
            } catch (IOException e) {
                outcome = "unexpected: " + e.getClass().getSimpleName();
            } catch (InterruptedException e) {
                return;
            }
            outcomes.merge(attack + "=" + outcome, 1L, Long::sum);
            if (outcome.startsWith("unexpected")) {
                unexpected.merge("hostile_" + attack, 1L, Long::sum);
            }
        }
    }

    /** Headers a byte at a time, then nothing: the coordinator must time out and close. */
    private String slowloris(long deadlineNanos) throws IOException, InterruptedException {
        try (Socket s = connect(60_000)) {
            OutputStream out = s.getOutputStream();
            byte[] head = "POST /v1/papers HTTP/1.1\r\nHost: soak\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
            for (byte b : head) {
                out.write(b);
                out.flush();
                if (System.nanoTime() > deadlineNanos) {
                    return "ended_by_run";  // the run ended first; nothing to judge
                }
                Thread.sleep(500);
                if (s.getInputStream().available() > 0) {
                    break;
                }
            }
            int status = readStatus(s.getInputStream());
            return status == 408 ? "408" : "unexpected: " + status;
        }
    }

    private String oversized() throws IOException {
        try (Socket s = connect(10_000)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/results HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[64 * 1024]);
            out.flush();
            int status = readStatus(s.getInputStream());
            return status == 413 ? "413" : "unexpected: " + status;
        } catch (SocketException closedWhileWriting) {
            return "413";  // the server answered and closed before the body was all sent
        }
    }

    private String replay() throws IOException {
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        SignedEnvelope claim = Envelopes.sign(identity, network, ClaimRequest.newBuilder()
                .setNode(identity.publicId().toByteString()).setDirection(CLOSED_DIRECTION).setHardwareClass("cpu:bench")
                .setTimeMs(System.currentTimeMillis()).setNonce(com.google.protobuf.ByteString.copyFrom(nonce)).build());
        byte[] body = claim.toByteArray();
        int first = post("/v1/claim", "application/x-protobuf", body);
        int second = post("/v1/claim", "application/x-protobuf", body);
        return first == 200 && second == 409 ? "409" : "unexpected: " + first + "," + second;
    }

    private String garbageJson() throws IOException {
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        String json = Json.print(Envelopes.sign(identity, network, ClaimRequest.newBuilder()
                .setNode(identity.publicId().toByteString()).setTimeMs(System.currentTimeMillis())
                .setNonce(com.google.protobuf.ByteString.copyFrom(nonce)).build())) + "}{\"x\":1}";
        int status = post("/v1/claim", "application/json", json.getBytes(StandardCharsets.UTF_8));
        return status == 400 ? "400" : "unexpected: " + status;
    }

    /** Twenty requests in one write; the replies must alternate as the requests did. */
    private String pipelined() throws IOException {
        try (Socket s = connect(30_000)) {
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < 10; i++) {
                burst.append("GET /healthz HTTP/1.1\r\nHost: soak\r\n\r\n");
                burst.append("GET /v1/units?state=BAD").append(i).append(" HTTP/1.1\r\nHost: soak\r\n\r\n");
            }
            s.getOutputStream().write(burst.toString().getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 10; i++) {
                if (!readResponse(in).endsWith("ok")) {
                    return "unexpected: out of order";
                }
                if (!readResponse(in).contains("BAD" + i + "\\u0027")) {
                    return "unexpected: out of order";
                }
            }
            return "in_order";
        }
    }

    private int post(String path, String contentType, byte[] body) throws IOException {
        try (Socket s = connect(30_000)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: soak\r\nContent-Type: " + contentType
                    + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            return readStatus(s.getInputStream());
        }
    }

    private Socket connect(int timeoutMs) throws IOException {
        Socket s = new Socket(base.getHost(), base.getPort());
        s.setSoTimeout(timeoutMs);
        return s;
    }

    private static int readStatus(InputStream in) throws IOException {
        String head = readHead(in);
        return head.length() >= 12 ? Integer.parseInt(head.substring(9, 12)) : -1;
    }

    /** One response: its head and its Content-Length body, as text. */
    private static String readResponse(InputStream in) throws IOException {
        String head = readHead(in);
        int length = 0;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8).trim();
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
