package dev.rhizome.coordinator.support;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

/** Talks to a coordinator over real HTTP, in JSON or protobuf, the way nodes and the CLI will. */
public final class ApiClient {
    public enum Format { JSON, PROTOBUF }

    /** A response with its raw body, parsed on demand. */
    public record Response(int status, String contentType, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public <B extends Message.Builder> B parse(B builder) {
            try {
                if (contentType.startsWith("application/x-protobuf")) {
                    builder.mergeFrom(body);
                    return builder;
                }
                return Json.parse(text(), builder);
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError("response is not a " + builder.getDescriptorForType().getFullName()
                        + ": " + text(), e);
            }
        }

        public Error error() {
            return parse(Error.newBuilder()).build();
        }

        public Ack ack() {
            if (status != 200) {
                throw new AssertionError("expected 200, got " + status + ": " + text());
            }
            return parse(Ack.newBuilder()).build();
        }
    }

    /**
     * How long a request may wait for its answer: a bound on a hang, never what a test measures. At
     * load 34 on 2 cores a coordinator's answer to a direction's post outlasted 10 s.
     */
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(PATIENCE).build();
    private final String baseUrl;
    private final Format format;
    private final Clock clock;
    /** Sent as X-Forwarded-For (null: not sent): a coordinator that trusts loopback as a proxy sees this origin. */
    private final String forwardedFor;
    private volatile String network;

    public ApiClient(String baseUrl, Format format, Clock clock) {
        this(baseUrl, format, clock, null);
    }

    private ApiClient(String baseUrl, Format format, Clock clock, String forwardedFor) {
        this.baseUrl = baseUrl;
        this.format = format;
        this.clock = clock;
        this.forwardedFor = forwardedFor;
    }

    /** This client as if it came from {@code address}, through a proxy the coordinator trusts. */
    public ApiClient from(String address) {
        return new ApiClient(baseUrl, format, clock, address);
    }

    public long now() {
        return clock.millis();
    }

    public Response post(String path, SignedEnvelope envelope) {
        return format == Format.PROTOBUF
                ? postRaw(path, "application/x-protobuf", envelope.toByteArray())
                : postRaw(path, "application/json", Json.print(envelope).getBytes(StandardCharsets.UTF_8));
    }

    public Response signAndPost(String path, Identity signer, Message record) {
        return post(path, sign(signer, record));
    }

    /** {@code record} signed by {@code signer} for this coordinator's network, as a client signs it. */
    public SignedEnvelope sign(Identity signer, Message record) {
        return Envelopes.sign(signer, network(), record);
    }

    /** The coordinator's network id ({@code network_id} of {@code GET /v1/stats}), read once. */
    public String network() {
        String known = network;
        if (known == null) {
            known = get("/v1/stats", CoordinatorStats.newBuilder()).getNetworkId();
            network = known;
        }
        return known;
    }

    public Response postRaw(String path, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    public Response get(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET());
    }

    public <B extends Message.Builder> B get(String path, B builder) {
        Response response = get(path);
        if (response.status() != 200) {
            throw new AssertionError("GET " + path + " returned " + response.status() + ": " + response.text());
        }
        return response.parse(builder);
    }

    /** Claims work as {@code node}; null when there is none. */
    public WorkUnit claim(Identity node, WorkUnit.Kind... kinds) {
        ClaimResponse parsed = claimResponse(node, kinds);
        return parsed.hasUnit() ? parsed.getUnit() : null;
    }

    /** Claims work as {@code node}: the whole answer, its reason and retry hint when it holds no unit. */
    public ClaimResponse claimResponse(Identity node, WorkUnit.Kind... kinds) {
        return claimResponse(node, 0, kinds);
    }

    /** A claim that may wait up to {@code waitS} for work (docs/api.md "Claims that wait"). */
    public ClaimResponse claimResponse(Identity node, int waitS, WorkUnit.Kind... kinds) {
        return claimResponse(node, "cpu:x86_64", waitS, kinds);
    }

    /** A claim from a node of {@code hardwareClass}; its unit, or null when it got none. */
    public WorkUnit claimAs(Identity node, String hardwareClass, WorkUnit.Kind... kinds) {
        ClaimResponse parsed = claimResponse(node, hardwareClass, 0, kinds);
        return parsed.hasUnit() ? parsed.getUnit() : null;
    }

    private ClaimResponse claimResponse(Identity node, String hardwareClass, int waitS, WorkUnit.Kind... kinds) {
        ClaimRequest.Builder claim = ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass(hardwareClass).setTimeMs(now()).setNonce(Fixtures.nonce()).setWaitS(waitS);
        for (WorkUnit.Kind kind : kinds) {
            claim.addKinds(kind);
        }
        Response response = signAndPost("/v1/claim", node, claim.build());
        if (response.status() != 200) {
            throw new AssertionError("claim returned " + response.status() + ": " + response.text());
        }
        return response.parse(ClaimResponse.newBuilder()).build();
    }

    private Response send(HttpRequest.Builder request) {
        if (format == Format.PROTOBUF) {
            request.header("Accept", "application/x-protobuf");
        }
        if (forwardedFor != null) {
            request.header("X-Forwarded-For", forwardedFor);
        }
        try {
            HttpResponse<byte[]> response = http.send(request.timeout(PATIENCE).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(),
                    response.headers().firstValue("Content-Type").orElse(""), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
