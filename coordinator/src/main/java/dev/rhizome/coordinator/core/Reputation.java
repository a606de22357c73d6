package dev.rhizome.coordinator.core;

import java.util.Optional;

/**
 * A runner key's standing, after BOINC's adaptive replication and host quotas. Every VALID result
 * adds its compute time to the credit, lengthens the run of consecutive valid results and raises
 * the daily quota; an INVALID result resets the run and halves the quota; an error (CRASH,
 * TIMEOUT) resets the run and lowers the quota by one; an expired lease resets the run and halves
 * the quota. A key with a run of at least
 * {@link #TRUST_AFTER} is trusted: its result may stand alone, except that the coordinator still
 * spot-checks it with probability max(1 / run, {@link #MIN_SPOT_CHECK}), decided after the result
 * arrives, so the runner can't know which of its results will be checked.
 */
public record Reputation(int valid, int invalid, int errors, int consecutiveValid, long creditMs, int dailyQuota) {
    public static final int TRUST_AFTER = 10;
    public static final double MIN_SPOT_CHECK = 0.1;
    public static final int INITIAL_QUOTA = 200;
    public static final int MIN_QUOTA = 8;
    public static final int MAX_QUOTA = 20_000;
    /** Quota added per valid result. */
    public static final int QUOTA_STEP = 2;
    public static final long DAY_MS = 86_400_000L;

    public static Reputation fresh() {
        return new Reputation(0, 0, 0, 0, 0, INITIAL_QUOTA);
    }

    public Reputation onValid(long runtimeMs) {
        return new Reputation(valid + 1, invalid, errors, consecutiveValid + 1,
                Saturating.plus(creditMs, Math.max(0, runtimeMs)),
                Math.min(MAX_QUOTA, dailyQuota + QUOTA_STEP));
    }

    public Reputation onInvalid() {
        return new Reputation(valid, invalid + 1, errors, 0, creditMs, Math.max(MIN_QUOTA, dailyQuota / 2));
    }

    public Reputation onError() {
        return new Reputation(valid, invalid, errors + 1, 0, creditMs, Math.max(MIN_QUOTA, dailyQuota - 1));
    }

    /**
     * A lease of an evaluation ran out: the unit sat idle for the whole lease and was then handed
     * to someone else. It counts as an error and, like an INVALID result, halves the quota, so a
     * key whose leases keep running out (on purpose, to hold units or to get experiments given
     * up) soon leases little; valid results earn the quota back.
     */
    public Reputation onLeaseExpired() {
        return new Reputation(valid, invalid, errors + 1, 0, creditMs, Math.max(MIN_QUOTA, dailyQuota / 2));
    }

    public boolean trusted() {
        return consecutiveValid >= TRUST_AFTER;
    }

    public double spotCheckProbability() {
        return trusted() ? Math.max(MIN_SPOT_CHECK, 1.0 / consecutiveValid) : 1.0;
    }

    /** Why this key may lease no more units today, or empty while it may. */
    public Optional<String> quotaRefusal(int leasedToday, long nowMs) {
        if (leasedToday < dailyQuota) {
            return Optional.empty();
        }
        return Optional.of("daily quota reached: " + leasedToday + " units leased today of " + dailyQuota
                + " (the quota grows with valid results and shrinks with invalid ones and errors); it resets at "
                + (dayStart(nowMs) + DAY_MS) + " ms (00:00 UTC)");
    }

    /** The start of the UTC day holding {@code nowMs}. */
    public static long dayStart(long nowMs) {
        return Math.floorDiv(nowMs, DAY_MS) * DAY_MS;
    }

    /** @param draw uniform in [0, 1), drawn by the coordinator */
    public boolean standsAlone(double draw) {
        return trusted() && draw >= spotCheckProbability();
    }
}
