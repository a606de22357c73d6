package dev.rhizome.node.peer;

/**
 * A token bucket of bytes shared by all of a server's uploads: {@code bytesPerSecond} tokens a
 * second, at most {@code burst} saved up. A chunk may go out while the bucket is not in debt and
 * then takes its size (so a chunk larger than what is left still goes, and the next waits longer).
 * Time is passed in, so it is tested without a clock. A rate of 0 never waits.
 */
final class UploadPacer {
    private final double bytesPerNano;
    private final double burst;
    private double tokens;
    private long lastNanos;

    UploadPacer(long bytesPerSecond, long burst, long nowNanos) {
        this.bytesPerNano = bytesPerSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.lastNanos = nowNanos;
    }

    static UploadPacer unlimited() {
        return new UploadPacer(0, 0, 0);
    }

    /** Nanoseconds to wait before the next chunk may go; 0 means now. */
    synchronized long waitNanos(long nowNanos) {
        if (bytesPerNano == 0) {
            return 0;
        }
        refill(nowNanos);
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / bytesPerNano);
    }

    /** Takes {@code bytes} tokens for a chunk sent now. */
    synchronized void spend(long bytes, long nowNanos) {
        if (bytesPerNano == 0) {
            return;
        }
        refill(nowNanos);
        tokens -= bytes;
    }

    private void refill(long nowNanos) {
        if (nowNanos > lastNanos) {
            tokens = Math.min(burst, tokens + (nowNanos - lastNanos) * bytesPerNano);
            lastNanos = nowNanos;
        }
    }
}
