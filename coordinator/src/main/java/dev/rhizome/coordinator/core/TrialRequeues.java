package dev.rhizome.coordinator.core;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * How often a trial decided only in hardware classes a direction does not compare in is queued
 * again for the class it does (or, for a base not yet measured, for an established one). Each
 * time, keys of another class may take every replica again: a stream of fresh keys claiming in a
 * made-up class had the coordinator queue the base's trials for ever. So a trial is queued again
 * at most {@link #MAX_PER_TRIAL} times, counted durably (the store's {@code trial_requeues});
 * after that it waits, and so does what rests on it, which the ack and the direction's view say.
 */
public final class TrialRequeues {
    /** Times one trial is queued again: each gives runners of the class it needs a fresh set of replicas. */
    public static final int MAX_PER_TRIAL = 3;

    private TrialRequeues() {
    }

    /** Whether a trial queued again {@code timesBefore} times may be queued once more. */
    public static boolean mayQueueAgain(int timesBefore) {
        return timesBefore < MAX_PER_TRIAL;
    }

    /**
     * The seeds among {@code times} (queued-again counts by random seed) whose requeues are spent:
     * queued again the most times, and the last replicas no longer {@code pending}.
     */
    public static List<Long> spent(Map<Long, Integer> times, Predicate<Long> pending) {
        return times.entrySet().stream().filter(e -> !mayQueueAgain(e.getValue()) && !pending.test(e.getKey()))
                .map(Map.Entry::getKey).toList();
    }

    /**
     * What happens to trials whose requeues are spent, {@code so} what follows: the words the ack
     * and the direction's view share.
     */
    public static String whenSpent(List<Long> seeds, String so) {
        return "queued again " + MAX_PER_TRIAL + " times at seed(s) " + seeds.stream().map(Long::toUnsignedString)
                .toList() + ", the most a trial is, and decided each time in another class: not queued again, so "
                + so;
    }

    /** What follows for a base whose trials' requeues are spent. */
    public static final String BASE_WAITS = "the direction stays unmeasured and adopts nothing until an operator acts "
            + "(queues its trials again: rhizome direction requeue; or closes it and opens another on the same base)";

    /**
     * Why a direction's base is not measured, for its view, given its trials' requeues and those
     * {@link #spent}: empty where its trials were never queued again (not yet decided at all, the
     * ordinary wait).
     */
    public static String unmeasuredBase(Map<Long, Integer> times, List<Long> spent) {
        if (times.isEmpty()) {
            return "";
        }
        String decided = "its base's trials were decided only in a hardware class not established";
        if (!spent.isEmpty()) {
            return decided + "; " + whenSpent(spent, BASE_WAITS);
        }
        int most = times.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        return decided + "; queued again for an established class (" + most + " of " + MAX_PER_TRIAL
                + " times at most a trial)";
    }
}
