package dev.rhizome.coordinator.core;

import java.time.Duration;

/**
 * Signed requests carry the time they were made; one far from the coordinator's clock is refused,
 * so a captured request can't be replayed later (or forged ahead of time).
 */
public final class ReplayWindow {
    public static final Duration WINDOW = Duration.ofMinutes(5);

    private ReplayWindow() {
    }

    /**
     * Compares without subtracting first: {@code now - time} overflows for times near
     * {@code Long.MIN_VALUE} or {@code Long.MAX_VALUE}, and an overflowed skew looked small.
     */
    public static void check(String field, long timeMs, long nowMs) {
        if (!within(timeMs, nowMs)) {
            throw Rejection.badRequest(field + " " + timeMs + " is " + describeSkew(timeMs, nowMs)
                    + " the coordinator clock " + nowMs + "; requests must be within " + WINDOW.toSeconds()
                    + " s of it: set " + field + " to the current time in milliseconds since the epoch");
        }
    }

    public static boolean within(long timeMs, long nowMs) {
        long window = WINDOW.toMillis();
        return timeMs >= Saturating.minus(nowMs, window) && timeMs <= Saturating.plus(nowMs, window);
    }

    /**
     * How far and which way the time is from the clock, exact for any two longs. Math.abs of the
     * difference was negative for a difference of Long.MIN_VALUE (a clock below zero, a time past
     * Long.MAX_VALUE's reach), and an overflowed one said "more than" without which way; the
     * difference of the larger and the smaller always fits 64 bits read unsigned.
     */
    static String describeSkew(long timeMs, long nowMs) {
        boolean ahead = timeMs > nowMs;
        long gap = ahead ? timeMs - nowMs : nowMs - timeMs;
        return Long.toUnsignedString(Long.divideUnsigned(gap, 1000)) + " s " + (ahead ? "ahead of" : "behind");
    }
}
