package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;

/**
 * Which holders ran slow lately, and the bar a transfer must clear not to be slow. Slow is no
 * offence (an honest holder may have a slow uplink): it costs no score, only the preference.
 */
final class SlowHolders {
    /**
     * A transfer is judged slow over windows of this many stall periods: under {@link #SLOW_FACTOR}
     * times the stall floor (1 MiB per 10 s, about 100 KB/s, by default) it is slow.
     */
    static final int SLOW_WINDOW_PERIODS = 3;
    static final int SLOW_FACTOR = 16;
    /** How long a peer found slow is remembered as slow. */
    static final long SLOW_MEMORY_MS = 10 * 60_000;
    /**
     * Slow is also relative: under 1/8 of the best rate a transfer reached here lately (a window, or
     * a whole bundle delivered, within {@link #SLOW_MEMORY_MS}). A rogue can't raise that bar but by
     * serving fast; an honest node behind a slow link never sees a fast rate, so only the absolute
     * floor applies there.
     */
    static final int SLOW_RELATIVE = 8;
    /** Peers remembered as slow, the most recent. */
    static final int MAX_SLOW_PEERS = 1_024;

    /** Peers whose transfers ran slow lately, until when they count as slow. */
    private final Bounded<PublicId, Long> slowUntil = new Bounded<>(MAX_SLOW_PEERS);
    /** What a transfer must advance per stall period not to be slow: less under this node's own download cap. */
    private long slowBytes = SLOW_FACTOR * StallFloor.MIN_PROGRESS_BYTES;
    /** The best rate seen lately (bytes per stall period) and when: the relative bar. */
    private long bestBytes;
    private long bestAtMs = Long.MIN_VALUE;

    /** Whether {@code peer} ran a slow transfer lately. */
    boolean isSlow(PublicId peer, long nowMs) {
        Long until = slowUntil.get(peer);
        return until != null && until > nowMs;
    }

    /** {@code peer}'s transfer ran slow: it counts as slow for {@link #SLOW_MEMORY_MS}. */
    void ranSlow(PublicId peer, long nowMs) {
        slowUntil.put(peer, nowMs + SLOW_MEMORY_MS);
    }

    /** What a transfer must advance per stall period not to be slow now: the floor, or 1/8 of the best seen lately. */
    long bar(long nowMs) {
        long relative = nowMs - bestAtMs <= SLOW_MEMORY_MS ? bestBytes / SLOW_RELATIVE : 0;
        return Math.max(slowBytes, relative);
    }

    /** A transfer advanced {@code perPeriod} bytes per stall period: the best lately, if it beats it or the best aged out. */
    void sawRate(long perPeriod, long nowMs) {
        if (perPeriod >= bestBytes || nowMs - bestAtMs > SLOW_MEMORY_MS) {
            bestBytes = perPeriod;
            bestAtMs = nowMs;
        }
    }

    /**
     * This node's downloads are capped at {@code bytesPerSecond} (0: none), shared by {@code sharing}
     * transfers, whose stall floor is {@code floorBytes} per {@code periodMs}: each transfer gets at
     * most its share, so slow is under half of it, as the floor is.
     */
    void capDownloads(long bytesPerSecond, long periodMs, int sharing, long floorBytes) {
        long share = bytesPerSecond <= 0 ? Long.MAX_VALUE : bytesPerSecond * periodMs / 1000 / sharing / 2;
        slowBytes = Math.max(floorBytes, Math.min(SLOW_FACTOR * StallFloor.MIN_PROGRESS_BYTES, share));
    }
}
