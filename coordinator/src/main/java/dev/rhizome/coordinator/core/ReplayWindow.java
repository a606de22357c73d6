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

    public static void check(String field, long timeMs, long nowMs) {
        long skew = Math.abs(nowMs - timeMs);
        if (skew > WINDOW.toMillis()) {
            throw Rejection.badRequest(field + " " + timeMs + " is " + skew / 1000 + " s away from the coordinator clock "
                    + nowMs + "; requests must be within " + WINDOW.toSeconds() + " s");
        }
    }
}
