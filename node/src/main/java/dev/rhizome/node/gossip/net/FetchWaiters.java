package dev.rhizome.node.gossip.net;

import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.FetchResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Work-loop callers waiting for a commit, completed when it is imported or the core says nobody
 * can serve it. Added to from any thread; completed on the core thread.
 */
final class FetchWaiters {
    private final Map<String, List<CompletableFuture<FetchResult>>> waiting = new ConcurrentHashMap<>();

    /** A future completed by the next {@link #complete} or {@link #fail} for {@code commit}. */
    CompletableFuture<FetchResult> await(String commit) {
        CompletableFuture<FetchResult> done = new CompletableFuture<>();
        waiting.computeIfAbsent(commit, c -> new CopyOnWriteArrayList<>()).add(done);
        return done;
    }

    void complete(String commit, FetchResult result) {
        List<CompletableFuture<FetchResult>> waiters = waiting.remove(commit);
        if (waiters != null) {
            waiters.forEach(w -> w.complete(result));
        }
    }

    /** Nobody is left to ask for {@code commit} ({@code reason}, the core's words). */
    void fail(String commit, String reason) {
        List<CompletableFuture<FetchResult>> waiters = waiting.remove(commit);
        if (waiters != null) {
            FetchException e = new FetchException(commit, List.of(reason));
            waiters.forEach(w -> w.completeExceptionally(e));
        }
    }

    /** At close: every caller still waiting is let go. */
    void cancelAll() {
        waiting.values().forEach(ws -> ws.forEach(w -> w.cancel(false)));
    }
}
