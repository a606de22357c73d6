package dev.rhizome.coordinator.core;

import java.time.Duration;
import java.util.Optional;

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

    /** What a proposer's commits did when run. */
    public record Record(int okResults, int crashResults, long lastCrashMs) {
        public static Record empty() {
            return new Record(0, 0, 0);
        }

        public Record onOk() {
            return new Record(okResults + 1, crashResults, lastCrashMs);
        }

        public Record onCrash(long nowMs) {
            return new Record(okResults, crashResults + 1, nowMs);
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

    /** Why this proposer may not register experiments now, or empty when it may. */
    public static Optional<String> refusal(Record r, long nowMs) {
        if (r.crashResults() < CRASH_LIMIT || r.crashResults() <= r.okResults()) {
            return Optional.empty();
        }
        long until = r.lastCrashMs() + COOL_DOWN.toMillis();
        if (nowMs >= until) {
            return Optional.empty();
        }
        return Optional.of("proposer throttled: " + r.crashResults() + " failures on its commits (CRASH results and "
                + "experiments given up as unfetchable) against "
                + r.okResults() + " OK; new experiments are refused until " + until + " ms ("
                + ((until - nowMs + 999) / 1000) + " s from now)");
    }
}
