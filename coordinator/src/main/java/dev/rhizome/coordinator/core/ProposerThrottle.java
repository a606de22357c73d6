package dev.rhizome.coordinator.core;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Proposers whose commits crash waste every runner's time. After {@link #CRASH_LIMIT} CRASH
 * results on its commits (or experiments given up because nobody could fetch the commit, which
 * waste runners' leases just as surely), outnumbering its OK results, a proposer's new experiments are refused
 * until {@link #COOL_DOWN} has passed since its last crash; one more crash after that starts the
 * wait again.
 */
public final class ProposerThrottle {
    public static final int CRASH_LIMIT = 3;
    public static final Duration COOL_DOWN = Duration.ofMinutes(10);

    /**
     * What a proposer's commits did when run. Also what one settlement adds to it: counts add and
     * the later crash stands, so outcomes counted in any order, or summed first, give one record
     * (the store writes them as increments, never from a value it read).
     */
    public record Record(int okResults, int crashResults, long lastCrashMs) {
        public static Record empty() {
            return new Record(0, 0, 0);
        }

        /** One of its commits found VALID. */
        public static Record ok() {
            return new Record(1, 0, 0);
        }

        /** One CRASH (or work nobody could do, see {@link #onUnfetchable}) at {@code nowMs}. */
        public static Record crash(long nowMs) {
            return new Record(0, 1, nowMs);
        }

        /** Both records' outcomes: the counts added, the later crash kept. */
        public Record plus(Record more) {
            return new Record(okResults + more.okResults, crashResults + more.crashResults,
                    Math.max(lastCrashMs, more.lastCrashMs));
        }

        public Record onOk() {
            return plus(ok());
        }

        public Record onCrash(long nowMs) {
            return plus(crash(nowMs));
        }

        /**
         * An experiment given up because no runner could fetch its commit: the proposer registered
         * work nobody can do, so it counts as a crash does.
         */
        public Record onUnfetchable(long nowMs) {
            return onCrash(nowMs);
        }
    }

    private ProposerThrottle() {
    }

    /**
     * Until when (epoch ms) this proposer's new experiments are refused, or empty when it may
     * register one now: what a retry of its crashed experiment has to wait for.
     */
    public static OptionalLong refusedUntil(Record r, long nowMs) {
        if (r.crashResults() < CRASH_LIMIT || r.crashResults() <= r.okResults()) {
            return OptionalLong.empty();
        }
        long until = r.lastCrashMs() + COOL_DOWN.toMillis();
        return nowMs >= until ? OptionalLong.empty() : OptionalLong.of(until);
    }

    /** Why this proposer may not register experiments now, or empty when it may. */
    public static Optional<String> refusal(Record r, long nowMs) {
        OptionalLong refused = refusedUntil(r, nowMs);
        if (refused.isEmpty()) {
            return Optional.empty();
        }
        long until = refused.getAsLong();
        return Optional.of("proposer throttled: " + r.crashResults() + " failures on its commits (CRASH results and "
                + "experiments given up as unfetchable) against "
                + r.okResults() + " OK; new experiments are refused until " + until + " ms ("
                + ((until - nowMs + 999) / 1000) + " s from now)");
    }
}
