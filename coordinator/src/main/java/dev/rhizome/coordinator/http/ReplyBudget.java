package dev.rhizome.coordinator.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the bytes of replies written and not yet taken by their clients, across all connections.
 * A connection whose client does not read holds at most one reply ({@link ApiHandler}), but a page
 * may be 5.6 MB as JSON and 4,096 connections may be open: some 22 GB. Over the budget, new reads
 * (GET, HEAD) are refused with 503 until clients read or their connections close (idle timeout);
 * writes (claims, results: small answers) are never refused here, so work keeps flowing.
 */
final class ReplyBudget {
    /** Enough for about 45 pages held by clients that do not read, plus every honest reader. */
    static final long DEFAULT_BYTES = 256L << 20;

    private final AtomicLong pending = new AtomicLong();
    private final long max;

    ReplyBudget(long max) {
        this.max = max;
    }

    boolean over() {
        return pending.get() >= max;
    }

    void add(long bytes) {
        pending.addAndGet(bytes);
    }

    void release(long bytes) {
        pending.addAndGet(-bytes);
    }

    /** Bytes waiting now, for tests. */
    long pending() {
        return pending.get();
    }
}
