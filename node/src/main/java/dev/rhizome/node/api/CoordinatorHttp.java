package dev.rhizome.node.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * One coordinator's HTTP API as protobuf exchanges, for {@link CoordinatorClient}: each answer read
 * whole within a deadline and a size bound, a coordinator's refusal thrown as its
 * {@link CoordinatorException}, anything else at that URL said as not a coordinator, and how calls
 * go told to the {@link CoordinatorClient.Reachability} watcher. Reads refused {@code 429} are asked
 * again ({@link ReadRetry}); nothing here signs or sends a write twice.
 */
final class CoordinatorHttp {
    private static final String PROTOBUF = "application/x-protobuf";

    /** Told of a {@code WRONG_NETWORK} refusal before it is thrown: the next record is signed for the network read again. */
    @FunctionalInterface
    interface WrongNetwork {
        void refused() throws CoordinatorException;
    }

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;
    private final long maxAnswerBytes;
    private final WrongNetwork wrongNetwork;
    private volatile CoordinatorClient.Reachability reachability = CoordinatorClient.Reachability.NOBODY;
    /** Told of each wait a read refused 429 makes before it asks again ({@link ReadRetry}). */
    private volatile ReadRetry.Waits readWaits = ReadRetry.Waits.NOBODY;

    CoordinatorHttp(URI base, Duration timeout, long maxAnswerBytes, WrongNetwork wrongNetwork) {
        this.base = base;
        this.timeout = timeout;
        this.maxAnswerBytes = maxAnswerBytes;
        this.wrongNetwork = wrongNetwork;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    Duration timeout() {
        return timeout;
    }

    void watch(CoordinatorClient.Reachability watcher) {
        this.reachability = watcher == null ? CoordinatorClient.Reachability.NOBODY : watcher;
    }

    void onReadWait(ReadRetry.Waits waits) {
        this.readWaits = waits == null ? ReadRetry.Waits.NOBODY : waits;
    }

    <T extends Message> T post(String path, SignedEnvelope body, Parser<T> parser) throws CoordinatorException {
        return post(path, body, parser, Duration.ZERO);
    }

    /** A post the coordinator may hold for {@code held} before it answers (a claim that waits). */
    <T extends Message> T post(String path, SignedEnvelope body, Parser<T> parser, Duration held)
            throws CoordinatorException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(timeout.plus(held))
                .header("Content-Type", PROTOBUF)
                .header("Accept", PROTOBUF)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .build();
        return send(request, parser, held);
    }

    <T extends Message> T get(String path, Map<String, String> query, Parser<T> parser)
            throws CoordinatorException {
        String q = query.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest request = HttpRequest.newBuilder(base.resolve(q.isEmpty() ? path : path + "?" + q))
                .timeout(timeout)
                .header("Accept", PROTOBUF)
                .GET()
                .build();
        return read(request, parser);
    }

    /**
     * A read, asked again after each {@code 429} that names a Retry-After, as {@link ReadRetry} bounds
     * it: the coordinator's CPU budget for reads refuses an address that spent it (many pages, a
     * node and a CLI behind one NAT) until it refills. Only reads come here; no write is sent twice.
     */
    private <T extends Message> T read(HttpRequest request, Parser<T> parser) throws CoordinatorException {
        long waited = 0;
        while (true) {
            try {
                return send(request, parser);
            } catch (CoordinatorException e) {
                var wait = ReadRetry.waitSeconds(e.status(), e.retryAfterSeconds(), waited);
                if (wait.isEmpty()) {
                    throw e;
                }
                readWaits.waiting("GET " + request.uri().getPath(), wait.getAsLong(), e.getMessage());
                try {
                    Thread.sleep(wait.getAsLong() * 1000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new CoordinatorException("interrupted while waiting to ask " + request.uri() + " again",
                            interrupted);
                }
                waited += wait.getAsLong();
            }
        }
    }

    private <T extends Message> T send(HttpRequest request, Parser<T> parser) throws CoordinatorException {
        return send(request, parser, Duration.ZERO);
    }

    private <T extends Message> T send(HttpRequest request, Parser<T> parser, Duration held) throws CoordinatorException {
        HttpResponse<byte[]> response;
        // The request's own timeout ends with the answer's headers; the body gets a deadline too,
        // or a server trickling a byte a second would hold the caller (a node's work loop) forever.
        CompletableFuture<HttpResponse<byte[]>> exchange =
                http.sendAsync(request, BoundedBody.handler(maxAnswerBytes));
        try {
            response = await(exchange, request, held);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw unreachable(new CoordinatorException("coordinator at " + base + " did not send a whole answer to "
                    + request.method() + " " + request.uri().getPath() + " within "
                    + (2 * timeout.toSeconds() + held.toSeconds()) + " s", e));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BoundedBody.TooLarge tooLarge) {
                throw new CoordinatorException(200, Error.Code.INTERNAL, "the answer from " + request.uri()
                        + " was refused: " + tooLarge.getMessage() + " (not a rhizome coordinator, or a hostile one)");
            }
            IOException io = cause instanceof IOException x ? x : new IOException(cause);
            throw unreachable(new CoordinatorException("coordinator at " + base + " is unreachable: " + CoordinatorClient.describe(io), io));
        } catch (InterruptedException e) {
            exchange.cancel(true);
            Thread.currentThread().interrupt();
            throw new CoordinatorException("interrupted while calling " + request.uri(), e);
        }
        try {
            if (response.statusCode() / 100 != 2) {
                Error error = CoordinatorClient.coordinatorError(response.body());
                if (error == null) {
                    // status 0: as for an unreachable coordinator, the caller may retry (a
                    // proxy's 502) and the CLI says to check --coordinator
                    throw unreachable(new CoordinatorException(CoordinatorClient.notACoordinator(base, request.method(),
                            request.uri().getPath(), response.statusCode()), null));
                }
                reachability.answered();
                if (error.getCode() == Error.Code.WRONG_NETWORK) {
                    wrongNetwork.refused();
                }
                // The coordinator's reason first: it is what the reader acts on; the route and status
                // after it are for whoever reads the coordinator's log beside it.
                throw new CoordinatorException(response.statusCode(), error.getCode(),
                        error.getMessage() + " (refused by the coordinator: " + request.method() + " "
                                + request.uri().getPath() + ", " + response.statusCode() + " " + error.getCode() + ")",
                        ReadRetry.retryAfter(response.headers().firstValue("Retry-After").orElse(null)).orElse(0));
            }
            reachability.answered();
            return parser.parseFrom(response.body());
        } catch (InvalidProtocolBufferException e) {
            throw new CoordinatorException(response.statusCode(), Error.Code.INTERNAL,
                    "unreadable answer from " + request.uri() + " (HTTP " + response.statusCode() + ")");
        }
    }

    /**
     * The whole answer within twice the timeout; the watcher hears of a call still waiting after
     * {@link CoordinatorClient#SLOW_CALL}.
     */
    private HttpResponse<byte[]> await(CompletableFuture<HttpResponse<byte[]>> exchange,
            HttpRequest request, Duration held) throws TimeoutException, ExecutionException,
            InterruptedException {
        // A claim the coordinator holds while it waits for work is not slow for that long.
        long limitMs = 2 * timeout.toMillis() + held.toMillis();
        long slowMs = CoordinatorClient.SLOW_CALL.toMillis() + held.toMillis();
        if (limitMs <= slowMs) {
            return exchange.get(limitMs, TimeUnit.MILLISECONDS);
        }
        try {
            return exchange.get(slowMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillWaiting) {
            reachability.slow(request.method() + " " + request.uri().getPath(), CoordinatorClient.SLOW_CALL);
            return exchange.get(limitMs - slowMs, TimeUnit.MILLISECONDS);
        }
    }

    private CoordinatorException unreachable(CoordinatorException e) {
        reachability.unreachable(e.getMessage());
        return e;
    }

    /**
     * A post whose answer is awaited for {@code patience} at most (then cancelled), given as it came:
     * no refusal is read and nobody is told (a cut claim's copy, whose caller reads the answer).
     */
    HttpResponse<byte[]> postWithin(String path, SignedEnvelope signed, Duration patience)
            throws TimeoutException, InterruptedException, ExecutionException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(patience)
                .header("Content-Type", PROTOBUF)
                .header("Accept", PROTOBUF)
                .POST(HttpRequest.BodyPublishers.ofByteArray(signed.toByteArray()))
                .build();
        CompletableFuture<HttpResponse<byte[]>> exchange = http.sendAsync(request, BoundedBody.handler(maxAnswerBytes));
        try {
            return exchange.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            exchange.cancel(true);
            if (e.getCause() instanceof HttpTimeoutException) {
                // The request's own timeout and this wait are the same patience, and either may end
                // first: both are a copy not answered in time (a cut claim's caller then sends the
                // next copy), not a failed exchange. Seen at load: the first copy's HttpTimeoutException
                // ended the settling and left the claim in the journal (CutClaimSettleTest).
                TimeoutException late = new TimeoutException("no answer within " + patience.toMillis() + " ms");
                late.initCause(e.getCause());
                throw late;
            }
            throw e;
        } catch (TimeoutException | InterruptedException e) {
            exchange.cancel(true);
            throw e;
        }
    }

}
