package dev.rhizome.node.gossip.core;

import com.github.benmanes.caffeine.cache.Ticker;

/**
 * The core's only notion of time: the latest {@code nowMs} it was handed, on which every timer and
 * deadline runs (the driver's is monotonic, so a step of the system clock moves none of them), and
 * how far the wall clock reads from it ({@link #wallMs}), by which signed records are dated and
 * judged, since they travel to nodes with clocks of their own. Caffeine reads {@code nowMs} as its
 * ticker, so a simulator's virtual clock drives cache expiry exactly as real time would.
 */
final class CoreClock implements Ticker {
    private long nowMs = Long.MIN_VALUE;
    /** The wall clock less {@code nowMs}: 0 until the driver says otherwise (the simulations' one clock). */
    private long wallOffsetMs;

    /** Moves the clock to {@code nowMs}; an adapter handing in a slightly older time never moves it back. */
    long advance(long nowMs) {
        if (nowMs > this.nowMs) {
            this.nowMs = nowMs;
        }
        return this.nowMs;
    }

    long nowMs() {
        return nowMs == Long.MIN_VALUE ? 0 : nowMs;
    }

    /** The wall clock read at {@code wallMs} when the core's clock read {@code nowMs}; returns how far the offset moved. */
    long wallClock(long wallMs, long nowMs) {
        long offset = wallMs - nowMs;
        long moved = offset - wallOffsetMs;
        wallOffsetMs = offset;
        return moved;
    }

    /** The wall-clock time (ms since the epoch) at the core's {@code nowMs}: what records are dated and judged by. */
    long wallMs(long nowMs) {
        return nowMs + wallOffsetMs;
    }

    @Override
    public long read() {
        return nowMs() * 1_000_000L;
    }
}
