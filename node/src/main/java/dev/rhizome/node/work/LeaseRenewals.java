package dev.rhizome.node.work;

import dev.rhizome.node.job.JobClock;

/**
 * When a node renews the lease of a unit it is working on, and when it stops: the heartbeat of a
 * job system's lease. A unit is renewed while it is fetched and while its job runs, each time half
 * of the lease last granted has gone, so a job longer than a fixed lease keeps its unit and its
 * result counts; a node paused or killed stops renewing and its unit is issued again when the lease
 * it holds runs out, as before. Renewals end at the unit's hold bound ({@link #holdUntilMs}): the
 * job's own wall-clock bound from the moment the node took the unit, and room to report, so a node
 * whose job or fetch never ends cannot keep a unit for ever (the coordinator caps renewals too).
 * Pure arithmetic on times in milliseconds.
 */
public final class LeaseRenewals {
    /** Never renewed more often than this, however short the lease: a renewal is a signed request. */
    public static final long MIN_PERIOD_MS = 1_000;

    private LeaseRenewals() {
    }

    /** What to do next: renew at {@code atMs}, or renew no more. */
    public record Step(boolean renew, long atMs) {
        static Step stop() {
            return new Step(false, Long.MAX_VALUE);
        }
    }

    /**
     * The latest moment a unit taken at {@code takenAtMs} is worth holding: its job's wall-clock bound
     * ({@value JobClock#WALL_BOUND_FACTOR} times the manifest's timeout, when the job runner kills it)
     * and the margin for fetching and reporting ({@link LeasePlanner#MARGIN_MS}).
     */
    public static long holdUntilMs(long takenAtMs, long timeoutMs) {
        long bound = Math.max(1_000, timeoutMs) * JobClock.WALL_BOUND_FACTOR + LeasePlanner.MARGIN_MS;
        return takenAtMs > Long.MAX_VALUE - bound ? Long.MAX_VALUE : takenAtMs + bound;
    }

    /** The least a fetch is given before its unit is given back, whatever the job's own limit. */
    public static final long MIN_FETCH_MS = 60_000;

    /**
     * When a unit taken at {@code takenAtMs} whose commit is still being fetched is given back: once
     * the fetch has taken as long as its job may ({@code timeoutMs}, at least {@link #MIN_FETCH_MS}).
     * A node that downloads slower than that (a low download cap, slow peers) should not hold a unit
     * that a node holding the commit finishes in that time; its download goes on, so the commit is
     * here for the next unit of it, and no direction waits on a node that never gets to run it.
     */
    public static long fetchGiveUpAtMs(long takenAtMs, long timeoutMs) {
        long bound = Math.max(MIN_FETCH_MS, timeoutMs);
        return takenAtMs > Long.MAX_VALUE - bound ? Long.MAX_VALUE : takenAtMs + bound;
    }

    /**
     * The next renewal of a lease renewed at {@code grantedAtMs} to end at {@code deadlineMs}, for a
     * unit held until {@code holdUntilMs}: none when the lease already covers the hold, or the lease
     * has run out (the coordinator refuses to renew it); else when half the lease has gone, and not
     * within {@link #MIN_PERIOD_MS} of the last renewal unless the lease ends sooner.
     */
    public static Step next(long nowMs, long grantedAtMs, long deadlineMs, long holdUntilMs) {
        if (deadlineMs >= holdUntilMs || nowMs > deadlineMs) {
            return Step.stop();
        }
        long half = Math.max(0, deadlineMs - grantedAtMs) / 2;
        long at = Math.max(grantedAtMs + half, Math.min(deadlineMs, grantedAtMs + MIN_PERIOD_MS));
        return new Step(true, Math.max(nowMs, at));
    }

    /**
     * The first renewal of a hold that starts at {@code nowMs} with a lease granted some time before
     * (claimed ahead, resumed after a restart): when half of what is left has gone, with no floor (a
     * lease nearly out is renewed at once, not at its deadline).
     */
    public static Step first(long nowMs, long deadlineMs, long holdUntilMs) {
        if (deadlineMs >= holdUntilMs || nowMs > deadlineMs) {
            return Step.stop();
        }
        return new Step(true, nowMs + (deadlineMs - nowMs) / 2);
    }

    /**
     * When to try again after a renewal that could not reach the coordinator at {@code nowMs}: half of
     * what is left of the lease, at least {@link #MIN_PERIOD_MS} later; none once the lease has run out.
     */
    public static Step retry(long nowMs, long deadlineMs) {
        if (nowMs >= deadlineMs) {
            return Step.stop();
        }
        return new Step(true, nowMs + Math.max(MIN_PERIOD_MS, (deadlineMs - nowMs) / 2));
    }
}
