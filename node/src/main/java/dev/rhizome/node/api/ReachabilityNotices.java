package dev.rhizome.node.api;

import java.time.Duration;

/**
 * What a volunteer is told about reaching its coordinator, decided without I/O: the first trouble
 * (a failed call, or one still unanswered after {@link CoordinatorClient#SLOW_CALL}) at once,
 * then at most one line per {@code period} however many calls fail (each slot, the reporter and
 * the announcer all call), and one line when it answers again after a trouble was told. A node
 * once said nothing for a minute: its first call waited twice the 30 s timeout for an answer.
 * Thread-safe: every thread of a node calls the coordinator.
 */
public final class ReachabilityNotices {
    private final String coordinator;
    /** What set the coordinator's URL (an option, a file's key, a variable), named where it cannot be reached. */
    private final String setBy;
    private final Duration period;
    private boolean inTrouble;
    private long troubleSinceMs;
    /** Whether a line was shown for the trouble going on now (so its end is worth a line too). */
    private boolean toldThisTrouble;
    private boolean shownOnce;
    private long lastShownMs;
    private int unshown;

    public ReachabilityNotices(String coordinator, Duration period) {
        this(coordinator, "--coordinator", period);
    }

    /** @param setBy what set the URL, as the volunteer would change it: {@code --coordinator}, a file's key... */
    public ReachabilityNotices(String coordinator, String setBy, Duration period) {
        this.coordinator = coordinator;
        this.setBy = setBy;
        this.period = period;
    }

    /** A call failed without the coordinator's answer: the line to log now, or null. */
    public synchronized String unreachable(String why, long nowMs) {
        return trouble("cannot reach the coordinator: " + why, nowMs);
    }

    /** A call has waited this long and still waits: the line to log now, or null. */
    public synchronized String slow(String call, Duration waited, long nowMs) {
        return trouble("the coordinator at " + coordinator + " has not answered " + call + " in "
                + waited.toSeconds() + " s (still waiting)", nowMs);
    }

    private String trouble(String what, long nowMs) {
        if (!inTrouble) {
            inTrouble = true;
            troubleSinceMs = nowMs;
            toldThisTrouble = false;
        }
        if (shownOnce && nowMs - lastShownMs < period.toMillis()) {
            // a coordinator that fails every other call makes two lines a period, not two a call
            unshown++;
            return null;
        }
        String line = !toldThisTrouble
                ? what + "; the node keeps trying and keeps its results until it answers"
                        + " (check that the coordinator runs at " + coordinator + ", the URL set by " + setBy + ")"
                : "still: " + what + " (for " + (nowMs - troubleSinceMs) / 1000 + " s; "
                        + unshown + " more failed or slow call(s) since the last line)";
        toldThisTrouble = true;
        shownOnce = true;
        lastShownMs = nowMs;
        unshown = 0;
        return line;
    }

    /** The coordinator answered: the line to log now (only after a trouble was told), or null. */
    public synchronized String answered(long nowMs) {
        if (!inTrouble) {
            return null;
        }
        inTrouble = false;
        if (!toldThisTrouble) {
            return null;
        }
        toldThisTrouble = false;
        unshown = 0;
        return "the coordinator at " + coordinator + " answers again (after " + (nowMs - troubleSinceMs) / 1000 + " s)";
    }
}
