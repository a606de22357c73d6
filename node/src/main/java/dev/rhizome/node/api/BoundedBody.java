package dev.rhizome.node.api;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * An answer's body read whole into memory, up to a bound. Whatever answers at the coordinator's
 * URL (a wrong port, a proxy, a hostile server) could otherwise send an endless body into the
 * node's heap (or the export's: {@code rhizome export}): past the bound the exchange is cancelled and the body fails.
 */
public final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
    /** Thrown (as the body's failure) when the answer is larger than the bound. */
    public static final class TooLarge extends IOException {
        TooLarge(long max) {
            super("the answer is larger than " + (max >> 20) + " MiB");
        }
    }

    private final HttpResponse.BodySubscriber<byte[]> whole = HttpResponse.BodySubscribers.ofByteArray();
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    private final long max;
    private Flow.Subscription subscription;
    private long received;

    BoundedBody(long max) {
        this.max = max;
        whole.getBody().whenComplete((bytes, failure) -> {
            if (failure != null) {
                body.completeExceptionally(failure);
            } else {
                body.complete(bytes);
            }
        });
    }

    public static HttpResponse.BodyHandler<byte[]> handler(long max) {
        return info -> new BoundedBody(max);
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        whole.onSubscribe(subscription);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (body.isDone()) {
            return;
        }
        for (ByteBuffer b : items) {
            received += b.remaining();
        }
        if (received > max) {
            subscription.cancel();
            body.completeExceptionally(new TooLarge(max));
            return;
        }
        whole.onNext(items);
    }

    @Override
    public void onError(Throwable throwable) {
        whole.onError(throwable);
    }

    @Override
    public void onComplete() {
        whole.onComplete();
    }
}
