package dev.rhizome.coordinator.service;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Views of a whole history (the dashboard, a direction's leaderboard), built once and shared by
 * everyone who asks while the copy is fresh. Without it each request built its own: one open
 * dashboard (it polls every 3 s) on a coordinator with 10,000 results asked for a build of many
 * seconds every 3 s, and a handful of clients asking in a loop kept the cores busy building.
 *
 * <p>A copy is fresh for {@link #MIN_AGE_NANOS} (one second) or {@link #COST_FACTOR} times what it took to
 * build, whichever is longer, so a view that grows expensive is rebuilt less often and asking
 * for it costs at most about a fifth of one core however many ask. Concurrent askers of a stale
 * view wait for one build and share it. Only views that were built are kept (a failed build, such
 * as an unknown direction's, leaves nothing), so the keys are bounded by what exists.
 */
public final class SharedViews {
    static final long MIN_AGE_NANOS = 1_000_000_000L;
    static final int COST_FACTOR = 4;

    private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;

    public SharedViews() {
        this(System::nanoTime);
    }

    SharedViews(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    private static final class Slot {
        Object value;
        long builtAt;
        long cost;
    }

    /** The view under {@code key}: the shared copy while fresh, else one built now by {@code build}. */
    @SuppressWarnings("unchecked")
    public <T> T get(String key, Supplier<T> build) {
        Slot slot = slots.computeIfAbsent(key, k -> new Slot());
        synchronized (slot) {
            long now = nanoTime.getAsLong();
            if (slot.value != null && now - slot.builtAt < Math.max(MIN_AGE_NANOS, COST_FACTOR * slot.cost)) {
                return (T) slot.value;
            }
            T value;
            try {
                value = build.get();
            } catch (RuntimeException | Error e) {
                if (slot.value == null) {
                    slots.remove(key, slot);
                }
                throw e;
            }
            long end = nanoTime.getAsLong();
            slot.value = value;
            slot.builtAt = end;
            slot.cost = end - now;
            return value;
        }
    }
}
