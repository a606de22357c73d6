package dev.rhizome.node.rate;

/**
 * A token bucket: {@code perSecond} tokens a second, at most {@code burst} saved up. Time is passed
 * in (nanoseconds on any monotonic scale), so it is tested without a clock and used from the pure
 * gossip core as well as from the peer server. Not thread-safe: its owner serialises calls.
 */
public final class TokenBucket {
    private final double perNano;
    private final double burst;
    private double tokens;
    private long lastNanos;

    public TokenBucket(double perSecond, double burst, long nowNanos) {
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.lastNanos = nowNanos;
    }

    /** Takes {@code n} tokens if that many are saved up. */
    public boolean tryTake(double n, long nowNanos) {
        refill(nowNanos);
        if (tokens >= n) {
            tokens -= n;
            return true;
        }
        return false;
    }

    /** Takes {@code n} tokens whatever is saved up: the bucket may go into debt. */
    public void spend(double n, long nowNanos) {
        refill(nowNanos);
        tokens -= n;
    }

    /** Nanoseconds until the bucket is out of debt; 0 when it is not in debt now. */
    public long nanosUntilOutOfDebt(long nowNanos) {
        refill(nowNanos);
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / perNano);
    }

    /** Nanoseconds until {@code n} tokens are saved up; 0 when they are now. */
    public long nanosUntil(double n, long nowNanos) {
        refill(nowNanos);
        return tokens >= n ? 0 : (long) Math.ceil((n - tokens) / perNano);
    }

    private void refill(long nowNanos) {
        if (nowNanos > lastNanos) {
            tokens = Math.min(burst, tokens + (nowNanos - lastNanos) * perNano);
            lastNanos = nowNanos;
        }
    }
}
