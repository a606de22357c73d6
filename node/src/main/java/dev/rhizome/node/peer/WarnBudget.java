package dev.rhizome.node.peer;

import java.util.Arrays;
import org.slf4j.Logger;

/**
 * Warnings a peer can cause, bounded: at most {@link #PER_WINDOW} a minute from one call site go
 * out at WARN, the rest at DEBUG, and the next warning let through says how many were held back.
 * Without it every refused connection, malformed hello, bad request or slow reader wrote a WARN
 * line, so a peer opening connections in a loop wrote the node's log (and its disk) as fast as it
 * liked and buried what the operator needs to see. One instance per call site, shared by every
 * connection (thread-safe); the decision is {@link #admit(long)}, with the time passed in.
 */
public final class WarnBudget {
    /** Warnings a minute per call site: enough to see an attack begin, too few to flood a log. */
    public static final int PER_WINDOW = 10;
    public static final long WINDOW_MS = 60_000;

    private final Logger log;
    private final int perWindow;
    private final long windowMs;
    private long windowStartMs = Long.MIN_VALUE;
    private int used;
    private long held;

    public WarnBudget(Logger log) {
        this(log, PER_WINDOW, WINDOW_MS);
    }

    WarnBudget(Logger log, int perWindow, long windowMs) {
        if (perWindow < 1 || windowMs < 1) {
            throw new IllegalArgumentException("need a positive budget and window");
        }
        this.log = log;
        this.perWindow = perWindow;
        this.windowMs = windowMs;
    }

    /**
     * Whether one more warning may go out at {@code nowMs}: -1 when not (it is counted as held
     * back), else how many were held back since the last one let through (then reset).
     */
    synchronized long admit(long nowMs) {
        if (windowStartMs == Long.MIN_VALUE || nowMs - windowStartMs >= windowMs) {
            windowStartMs = nowMs;
            used = 0;
        }
        if (used >= perWindow) {
            held++;
            return -1;
        }
        used++;
        long told = held;
        held = 0;
        return told;
    }

    /** Logs at WARN within the budget, else at DEBUG. */
    public void warn(String format, Object... args) {
        emit(true, format, args);
    }

    /** Logs at INFO within the budget, else at DEBUG. */
    public void info(String format, Object... args) {
        emit(false, format, args);
    }

    private void emit(boolean warn, String format, Object... args) {
        long held = admit(System.nanoTime() / 1_000_000);
        if (held < 0) {
            log.debug(format, args);
            return;
        }
        String line = format;
        Object[] values = args;
        if (held > 0) {
            line = format + " (and {} more like it since, at debug level)";
            values = Arrays.copyOf(args, args.length + 1);
            values[args.length] = held;
        }
        if (warn) {
            log.warn(line, values);
        } else {
            log.info(line, values);
        }
    }
}
