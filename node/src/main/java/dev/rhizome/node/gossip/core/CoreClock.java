package dev.rhizome.node.gossip.core;

import com.github.benmanes.caffeine.cache.Ticker;

/**
 * The core's only notion of time: the latest {@code nowMs} it was handed. Caffeine reads it as its
 * ticker, so a simulator's virtual clock drives cache expiry exactly as wall time would.
 */
final class CoreClock implements Ticker {
    private long nowMs = Long.MIN_VALUE;

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

    @Override
    public long read() {
        return nowMs() * 1_000_000L;
    }
}
