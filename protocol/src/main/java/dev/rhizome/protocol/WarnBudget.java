package dev.rhizome.protocol;

import java.util.Arrays;
import org.slf4j.Logger;

/**
 * Warnings a peer can cause, bounded: at most {@link #PER_WINDOW} in any minute from one call site
 * go out at WARN, the rest at DEBUG, and the next warning let through says how many were held back.
 * Without it every refused connection, malformed hello, bad request or slow reader wrote a WARN
 * line, so a peer opening connections in a loop wrote the node's log (and its disk) as fast as it
 * liked and buried what the operator needs to see. The window slides (a warning goes out when the
 * one {@link #PER_WINDOW} before it is a minute old): a window that restarted each minute let twice
 * the budget through in the seconds around its restart. One instance per call site, shared by every
 * connection (thread-safe); the decision is {@link #admit(long)}, with the time passed in.
 */
public final class WarnBudget {
    /** Warnings a minute per call site: enough to see an attack begin, too few to flood a log. */
    public static final int PER_WINDOW = 10;
    public static final long WINDOW_MS = 60_000;
    /** Added to the format of the first line let through after some were held back. */
    public static final String HELD_BACK = " (and {} more like it since, at debug level)";

    private final Logger log;
    private final long windowMs;
    /** When the last warnings let through went out, oldest at {@link #next} once the ring is full. */
    private final long[] sentMs;
    private int sent;
    private int next;
    private long held;

    public WarnBudget(Logger log) {
        this(log, PER_WINDOW, WINDOW_MS);
    }

    WarnBudget(Logger log, int perWindow, long windowMs) {
        if (perWindow < 1 || windowMs < 1) {
            throw new IllegalArgumentException("need a positive budget and window");
        }
        this.log = log;
        this.windowMs = windowMs;
        this.sentMs = new long[perWindow];
    }

    /**
     * Whether one more warning may go out at {@code nowMs}: -1 when not (it is counted as held
     * back), else how many were held back since the last one let through (then reset).
     */
    synchronized long admit(long nowMs) {
        if (sent == sentMs.length && nowMs - sentMs[next] < windowMs) {
            held++;
            return -1;
        }
        sentMs[next] = nowMs;
        next = (next + 1) % sentMs.length;
        sent = Math.min(sent + 1, sentMs.length);
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

    /**
     * Logs {@code what} at ERROR with {@code failure}'s stack trace within the budget, else at
     * DEBUG: for a failure a peer's input may cause again and again (a step of the gossip core that
     * threw), where each line would carry a whole stack trace.
     */
    public void error(String what, Throwable failure) {
        long held = admit(System.nanoTime() / 1_000_000);
        if (held < 0) {
            log.debug(what, failure);
        } else if (held > 0) {
            log.error(what + HELD_BACK, held, failure);
        } else {
            log.error(what, failure);
        }
    }

    /**
     * Logs at ERROR within the budget, else at DEBUG; a last argument that is a {@link Throwable}
     * is logged as the failure, with its stack trace: for a failure of one's own code that a
     * client's request may set off again and again, each line naming what it was about.
     */
    public void errorAbout(String format, Object... args) {
        emit(null, format, args);
    }

    /** {@code warn}: true for WARN, false for INFO, null for ERROR. */
    private void emit(Boolean warn, String format, Object... args) {
        long held = admit(System.nanoTime() / 1_000_000);
        if (held < 0) {
            log.debug(format, args);
            return;
        }
        String line = format;
        Object[] values = args;
        if (held > 0) {
            line = format + HELD_BACK;
            values = Arrays.copyOf(args, args.length + 1);
            // the count goes to its placeholder, before a failure that ends the arguments
            int at = args.length > 0 && args[args.length - 1] instanceof Throwable ? args.length - 1 : args.length;
            System.arraycopy(args, at, values, at + 1, args.length - at);
            values[at] = held;
        }
        if (warn == null) {
            log.error(line, values);
        } else if (warn) {
            log.warn(line, values);
        } else {
            log.info(line, values);
        }
    }
}
