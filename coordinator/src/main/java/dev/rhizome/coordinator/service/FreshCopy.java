package dev.rhizome.coordinator.service;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One view built once and shared by everyone who asks while the copy is fresh: for
 * {@link #MIN_AGE_NANOS} (one second) or {@link #COST_FACTOR} times what it took to build,
 * whichever is longer, so a view that grows expensive is rebuilt less often and asking for it
 * costs at most about a fifth of one core however many ask. Concurrent askers of a stale copy
 * wait for one build and share it, for at most the wait bound ({@link SharedPages#WAIT_NANOS}):
 * a build stalled on the database held every asker of the dashboard or of a direction's
 * leaderboard, each a worker, as long as it ran; past the bound an asker is refused 503.
 */
final class FreshCopy<T> {
    static final long MIN_AGE_NANOS = 1_000_000_000L;
    static final int COST_FACTOR = 4;

    private final LongSupplier nanoTime;
    private final long waitNanos;
    /** Held by the one asker looking at or building the copy; the others wait for it, within the bound. */
    private final ReentrantLock lock = new ReentrantLock();
    private volatile T value;
    private long builtAt;
    private long cost;
    /** Moved by {@link #changed}; a copy built before the latest move is stale, however young. */
    private final AtomicLong changes = new AtomicLong();
    private long builtOnChanges;

    FreshCopy(LongSupplier nanoTime, long waitNanos) {
        this.nanoTime = nanoTime;
        this.waitNanos = waitNanos;
    }

    /**
     * The copy while fresh, else one built now by {@code build} (a failed build changes nothing);
     * refused {@code UNAVAILABLE} (503) after waiting the bound for another asker's build.
     */
    T get(Supplier<T> build) {
        try {
            if (!lock.tryLock(waitNanos, TimeUnit.NANOSECONDS)) {
                throw SharedPages.stillBuilding(waitNanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a shared view's build", e);
        }
        try {
            return getLocked(build);
        } finally {
            lock.unlock();
        }
    }

    private T getLocked(Supplier<T> build) {
        long now = nanoTime.getAsLong();
        long changesNow = changes.get();
        if (value != null && changesNow == builtOnChanges
                && now - builtAt < Math.max(MIN_AGE_NANOS, COST_FACTOR * cost)) {
            return value;
        }
        T built = build.get();
        long end = nanoTime.getAsLong();
        value = built;
        builtAt = end;
        cost = end - now;
        // read before the build: a change during it makes the next ask build again
        builtOnChanges = changesNow;
        return built;
    }

    /**
     * What the copy shows has changed: the next ask builds afresh, however young the copy. For
     * changes an asker cannot make at will (each must cost the changer more than a build), or the
     * copy bounds nothing.
     */
    void changed() {
        changes.incrementAndGet();
    }

    /**
     * Whether an asker is looking at or building the copy now: one refused at the wait bound must
     * not have a copy that is being built dropped (the next asker would start a second build).
     */
    boolean building() {
        return lock.isLocked();
    }

    /** Whether a build ever succeeded (without waiting for one in progress). */
    boolean built() {
        return value != null;
    }
}
