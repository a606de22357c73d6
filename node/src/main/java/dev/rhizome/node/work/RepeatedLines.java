package dev.rhizome.node.work;

import java.time.Clock;
import java.time.Duration;

/**
 * Decides whether a line that may repeat for hours (a coordinator that refuses every claim of a
 * banned or over-quota node) is worth printing again: a new text always is; the same text only
 * once per {@code period}, saying how often it came meanwhile. Not thread-safe: one per slot.
 */
final class RepeatedLines {
    private final Clock clock;
    private final Duration period;
    private String last;
    private long lastShownMs;
    private int suppressed;

    RepeatedLines(Clock clock, Duration period) {
        this.clock = clock;
        this.period = period;
    }

    /** The line to print for {@code text} now, or null to stay quiet. */
    String show(String text) {
        long now = clock.millis();
        if (text.equals(last) && now - lastShownMs < period.toMillis()) {
            suppressed++;
            return null;
        }
        String line = text.equals(last) && suppressed > 0
                ? text + " (" + suppressed + " more time(s) since it was last shown)"
                : text;
        last = text;
        lastShownMs = now;
        suppressed = 0;
        return line;
    }

    /** Forgets the last line, so that the next one is shown whatever it is (the trouble ended). */
    void reset() {
        last = null;
        suppressed = 0;
    }
}
