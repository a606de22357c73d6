package dev.rhizome.coordinator.service;

import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One view built once and shared by everyone who asks while the copy is fresh: for
 * {@link #MIN_AGE_NANOS} (one second) or {@link #COST_FACTOR} times what it took to build,
 * whichever is longer, so a view that grows expensive is rebuilt less often and asking for it
 * costs at most about a fifth of one core however many ask. Concurrent askers of a stale copy
 * wait for one build and share it.
 */
final class FreshCopy<T> {
    static final long MIN_AGE_NANOS = 1_000_000_000L;
    static final int COST_FACTOR = 4;

    private final LongSupplier nanoTime;
    private T value;
    private long builtAt;
    private long cost;

    FreshCopy(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** The copy while fresh, else one built now by {@code build} (a failed build changes nothing). */
    synchronized T get(Supplier<T> build) {
        long now = nanoTime.getAsLong();
        if (value != null && now - builtAt < Math.max(MIN_AGE_NANOS, COST_FACTOR * cost)) {
            return value;
        }
        T built = build.get();
        long end = nanoTime.getAsLong();
        value = built;
        builtAt = end;
        cost = end - now;
        return built;
    }

    /** Whether a build ever succeeded. */
    synchronized boolean built() {
        return value != null;
    }
}
