package dev.rhizome.coordinator.core;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a lease, as the coordinator would grant it, covers what a claimant measured a job of the
 * unit's seed takes on its machine ({@code ClaimRequest.expected_ms_by_seed}). A unit whose lease
 * is shorter is kept off that claim: leased, it would run past its deadline, its holder charged for
 * the expired lease and its result kept as TOO_LATE; given back by the node, it would be offered
 * straight back to it. A seed the claimant has not measured is judged as before (the default lease,
 * twice the timeout and slack, covers any run; only a fixed lease can be short). Pure: the
 * dispatcher reads and filters, this decides.
 */
public final class LeaseFit {
    /** Seeds a claim may name: a node runs a handful; a hostile claim may not make every unit a map lookup in a huge map. */
    public static final int MAX_SEEDS = 256;
    /** The claim's key, named in the reason so an agent can find what it sent. */
    public static final String KEY = "expected_ms_by_seed";
    /**
     * What a lease must hold beyond the job: fetching its bundle before and reporting after. Also the
     * node's tolerance: it gives a unit back only when the lease it holds is shorter than the job
     * itself, so a lease granted here is never given back for the time its claim's answer took.
     */
    public static final Duration MARGIN = Duration.ofSeconds(10);

    private LeaseFit() {
    }

    /** A claim's expectations, checked before any is used: bounded in number, each seed named. */
    public static void check(Map<String, Long> expectedMsBySeed) {
        if (expectedMsBySeed.size() > MAX_SEEDS) {
            throw Rejection.badRequest(KEY + " names " + expectedMsBySeed.size() + " seeds; at most " + MAX_SEEDS
                    + " are allowed");
        }
        for (String seed : expectedMsBySeed.keySet()) {
            if (seed.isBlank() || seed.length() > 200) {
                throw Rejection.badRequest(KEY + " has a seed name that is empty or over 200 characters");
            }
        }
    }

    /** What keeps a unit off a claim: its lease is shorter than the claimant expects its job to take. */
    public record Shortfall(String seed, long expectedMs, long leaseMs) {
        public String describe() {
            return "the lease granted here (" + seconds(leaseMs) + ") is shorter than the " + seconds(expectedMs)
                    + " this node measured a job of seed " + seed + " takes (" + KEY + ") and "
                    + MARGIN.toSeconds() + " s to fetch and report";
        }

        private static String seconds(long ms) {
            return (ms + 999) / 1000 + " s";
        }
    }

    /** Empty when the lease covers the job and {@link #MARGIN}, or the claimant measured nothing for the seed. */
    public static Optional<Shortfall> shortfall(String seed, Duration lease, Map<String, Long> expectedMsBySeed) {
        Long expected = expectedMsBySeed.get(seed);
        if (expected == null) {
            return Optional.empty();
        }
        // a uint64 read signed: a value over Long.MAX_VALUE is as long as any lease can be short of
        long expectedMs = expected < 0 ? Long.MAX_VALUE : expected;
        long leaseMs = lease.toMillis();
        return Saturating.plus(expectedMs, MARGIN.toMillis()) > leaseMs ? Optional.of(new Shortfall(seed, expectedMs, leaseMs)) : Optional.empty();
    }
}
