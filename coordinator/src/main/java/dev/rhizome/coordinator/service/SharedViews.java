package dev.rhizome.coordinator.service;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Views of a whole history (the dashboard), built once and shared by everyone who asks while the
 * copy is fresh ({@link FreshCopy}). Without it each request built its own: one open dashboard
 * (it polls every 3 s) on a coordinator with 10,000 results asked for a build of many seconds
 * every 3 s, and a handful of clients asking in a loop kept the cores busy building.
 *
 * <p>Only views that were built are kept (a failed build leaves nothing), and the keys are fixed
 * names, not one per direction: each direction's leaderboard is kept with its board
 * ({@link DirectionBoards}), which drops idle ones. The clock is the one every fresh copy of the
 * views given it reads (tests hold it still or move it).
 */
public final class SharedViews {
    private final ConcurrentHashMap<String, FreshCopy<Object>> slots = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;
    private final long waitNanos;

    public SharedViews() {
        this(System::nanoTime);
    }

    SharedViews(LongSupplier nanoTime) {
        this(nanoTime, SharedPages.WAIT_NANOS);
    }

    /** @param waitNanos how long an asker waits for another's build of a view before it is refused 503 */
    SharedViews(LongSupplier nanoTime, long waitNanos) {
        this.nanoTime = nanoTime;
        this.waitNanos = waitNanos;
    }

    /** A fresh copy on this clock and wait bound, for a view kept elsewhere. */
    <T> FreshCopy<T> newCopy() {
        return new FreshCopy<>(nanoTime, waitNanos);
    }

    /** The view under {@code key}: the shared copy while fresh, else one built now by {@code build}. */
    @SuppressWarnings("unchecked")
    public <T> T get(String key, Supplier<T> build) {
        FreshCopy<Object> slot = slots.computeIfAbsent(key, k -> newCopy());
        try {
            return (T) slot.get(build::get);
        } catch (RuntimeException | Error e) {
            if (!slot.built() && !slot.building()) {
                slots.remove(key, slot);
            }
            throw e;
        }
    }
}
