package dev.rhizome.node.peer;

import java.util.concurrent.CompletableFuture;

/**
 * Lets another thread abandon a fetch: the transfer in progress fails at once and nothing more is
 * imported. Interrupting the fetching thread instead could interrupt JGit mid-write.
 */
public final class Cancellation {
    private volatile boolean cancelled;
    private volatile CompletableFuture<Void> current;

    public void cancel() {
        cancelled = true;
        CompletableFuture<Void> transfer = current;
        if (transfer != null) {
            transfer.completeExceptionally(new PeerFailure(PeerFailure.Kind.CANCELLED, "cancelled"));
        }
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Watches {@code transfer}; fails it at once if the fetch was cancelled already. */
    void watch(CompletableFuture<Void> transfer) {
        current = transfer;
        if (cancelled) {
            transfer.completeExceptionally(new PeerFailure(PeerFailure.Kind.CANCELLED, "cancelled"));
        }
    }
}
