package dev.rhizome.node.peer;

import dev.rhizome.node.rate.TokenBucket;

/**
 * Paces all of a server's uploads with one token bucket of bytes. A chunk may go out while the
 * bucket is not in debt and then takes its size (so a chunk larger than what is left still goes,
 * and the next waits longer). Time is passed in, so it is tested without a clock. A rate of 0
 * never waits.
 */
final class UploadPacer {
    private final TokenBucket bytes;

    UploadPacer(long bytesPerSecond, long burst, long nowNanos) {
        this.bytes = bytesPerSecond == 0 ? null : new TokenBucket(bytesPerSecond, burst, nowNanos);
    }

    static UploadPacer unlimited() {
        return new UploadPacer(0, 0, 0);
    }

    /** Nanoseconds to wait before the next chunk may go; 0 means now. */
    synchronized long waitNanos(long nowNanos) {
        return bytes == null ? 0 : bytes.nanosUntilOutOfDebt(nowNanos);
    }

    /** Takes {@code size} tokens for a chunk sent now. */
    synchronized void spend(long size, long nowNanos) {
        if (bytes != null) {
            bytes.spend(size, nowNanos);
        }
    }
}
