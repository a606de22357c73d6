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
        return whenSpent(seeds, Map.of(), so);
    }

    /**
     * The same, where operators' orders queued some of those trials again besides, {@code byOperators}
     * times by seed: the coordinator's own requeues and the operators' told apart, so "3 times"
     * stays true after an order whose replicas keys of another class took again.
     */
    public static String whenSpent(List<Long> seeds, Map<Long, Integer> byOperators, String so) {
        return "queued again " + MAX_PER_TRIAL + " times at seed(s) " + seeds.stream().map(Long::toUnsignedString)
                .toList() + ", the most a trial is" + ordered(seeds, byOperators)
                + ", and decided each time in another class: not queued again, so " + so;
    }

    /**
     * ", and N more time(s) by operators' orders" (per seed where they differ); empty where no
     * order queued any of {@code seeds}.
     */
    static String ordered(List<Long> seeds, Map<Long, Integer> byOperators) {
        List<Long> ordered = seeds.stream().filter(s -> byOperators.getOrDefault(s, 0) > 0).toList();
        if (ordered.isEmpty()) {
            return "";
        }
        java.util.Set<Integer> counts = new java.util.TreeSet<>();
        ordered.forEach(s -> counts.add(byOperators.get(s)));
        if (ordered.size() == seeds.size() && counts.size() == 1) {
            return " by the coordinator, and " + counts.iterator().next() + " more time(s) by operators' orders";
        }
        return " by the coordinator, and more by operators' orders ("
                + String.join(", ", ordered.stream().map(s -> byOperators.get(s) + " at seed " + Long.toUnsignedString(s))
                        .toList()) + ")";
    }

    /**
     * Times operators' {@code orders} (as kept) queued each trial of {@code commit} again, by
     * random seed.
     */
    public static Map<Long, Integer> byOperators(List<dev.rhizome.proto.v1.OperatorRequeue> orders, String commit) {
        Map<Long, Integer> times = new java.util.TreeMap<>();
        orders.stream().filter(o -> o.getCommit().equals(commit))
                .forEach(o -> o.getRandomSeedsList().forEach(s -> times.merge(s, 1, Integer::sum)));
        return times;
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
        return unmeasuredBase(times, spent, Map.of());
    }

    /** The same, where operators' orders queued trials of the base again besides, {@code byOperators} times by seed. */
    public static String unmeasuredBase(Map<Long, Integer> times, List<Long> spent, Map<Long, Integer> byOperators) {
        if (times.isEmpty()) {
            return "";
        }
        String decided = "its base's trials were decided only in a hardware class not established";
        if (!spent.isEmpty()) {
            return decided + "; " + whenSpent(spent, byOperators, BASE_WAITS);
        }
        int most = times.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        int ordered = byOperators.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        return decided + "; queued again for an established class (" + most + " of " + MAX_PER_TRIAL
                + " times at most a trial" + (ordered == 0 ? "" : " by the coordinator, and " + ordered
                        + " more time(s) by operators' orders") + ")";
    }
}
