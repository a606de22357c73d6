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
                    + " from the coordinator clock " + nowMs + "; requests must be within " + WINDOW.toSeconds() + " s");
        }
    }

    public static boolean within(long timeMs, long nowMs) {
        long window = WINDOW.toMillis();
        return timeMs >= Saturating.minus(nowMs, window) && timeMs <= Saturating.plus(nowMs, window);
    }

    private static String describeSkew(long timeMs, long nowMs) {
        try {
            return Math.abs(Math.subtractExact(nowMs, timeMs)) / 1000 + " s away";
        } catch (ArithmeticException e) {
            return "more than " + Long.MAX_VALUE / 1000 + " s away";
        }
    }
}
