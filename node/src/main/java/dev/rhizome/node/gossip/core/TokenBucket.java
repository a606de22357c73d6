package dev.rhizome.node.gossip.core;

/** Per-peer message allowance: {@code perSecond} tokens a second, at most {@code burst} saved up. */
final class TokenBucket {
    private final double perMs;
    private final double burst;
    private double tokens;
    private long lastMs;

    TokenBucket(int perSecond, int burst, long nowMs) {
        this.perMs = perSecond / 1000.0;
        this.burst = burst;
        this.tokens = burst;
        this.lastMs = nowMs;
    }

    boolean tryTake(long nowMs) {
        if (nowMs > lastMs) {
            tokens = Math.min(burst, tokens + (nowMs - lastMs) * perMs);
            lastMs = nowMs;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
