package dev.rhizome.coordinator;

import java.time.Duration;
import java.util.Objects;

/**
 * The slowest a request may arrive (its header lines and its body together), as Kestrel's
 * MinRequestBodyDataRate and nginx's client_body_timeout between reads bound it: while part of a
 * request has come and the coordinator is reading, each {@code window} must bring at least
 * {@code bytesPerSecond × window} bytes, else the request is answered 408 and its connection closes.
 * A body that stopped arriving held its connection until the whole request's deadline (30 s); an
 * honest upload on a slow link (a few KB/s) moves far faster than the floor. A window is judged
 * whole, so a client is never cut in its first {@code window}, its grace.
 *
 * @param bytesPerSecond the floor; 0 turns the rule off (the request deadline still holds)
 * @param window         how long each judged stretch is, and the grace before the first judgement
 */
public record MinDataRate(long bytesPerSecond, Duration window) {
    /** Kestrel's floor (240 B/s), judged over 10 s: a client that moves at all clears it many times over. */
    public static final MinDataRate DEFAULT = new MinDataRate(240, Duration.ofSeconds(10));

    public MinDataRate {
        Objects.requireNonNull(window, "window");
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("the minimum data rate must not be negative, got " + bytesPerSecond);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("the data rate's window must be positive, got " + window);
        }
    }

    /** Whether the rule is on. */
    public boolean enforced() {
        return bytesPerSecond > 0;
    }

    /** The bytes a whole window must bring. */
    public long bytesPerWindow() {
        return Math.multiplyExact(bytesPerSecond, Math.max(1, window.toMillis())) / 1000;
    }

    /** Whether {@code bytes} arriving in one whole window are enough. */
    public boolean met(long bytes) {
        return !enforced() || bytes >= bytesPerWindow();
    }
}
