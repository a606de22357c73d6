package dev.rhizome.ops.demo;

import dev.rhizome.ops.InvalidOptionValue;
import dev.rhizome.protocol.LoadScaledBudget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * @param minResults after {@code duration}, keep going until this many results are in and an experiment is
 *                   registered (the baseline's trials alone show no research), for at most another
 *                   {@code duration} on a quiet machine and longer on a loaded one ({@link #extraWait}; 0: stop
 *                   at {@code duration}); a slow or loaded machine still shows results
 * @param launcher the command that starts a rhizome role, e.g. {@code [java, -cp, rhizome.jar, dev.rhizome.client.Main]};
 *                 the demo appends {@code coordinator ...} or {@code node ...}
 * @param untilAdoption end at the first adoption once {@link #ADOPTION_FLOOR} has passed, with {@code duration}
 *                 as the cap ({@link #stopAt}); false: run for {@code duration}, as a given {@code --duration} does
 */
public record DemoConfig(int nodes, Duration duration, int directions, int minResults, Path dataDir,
        List<String> launcher, boolean untilAdoption) {
    /**
     * The cap of a demo that runs until an adoption (the command's default). A candidate costs its
     * 3 trial runs and the base's 3, then 3 more of its own and 3 of the frontier's at fresh seeds
     * before it is adopted (round 20's confirmation), and the explorers' first 6 candidates' 18
     * trials may be queued before those 6: the old fixed 2 minutes usually ended with candidates
     * still confirming, and a run on a quiet 2-core machine adopted within this (docs/architecture.md,
     * "The demo").
     */
    public static final Duration DEFAULT_CAP = Duration.ofMinutes(5);

    /**
     * A demo that runs until an adoption runs at least this long, so that an early adoption still
     * leaves other directions' results and candidates to show (an adoption needs at least 12 runs).
     */
    public static final Duration ADOPTION_FLOOR = Duration.ofSeconds(90);

    /**
     * How long a demo that runs until an adoption goes on past its cap while a candidate that passed
     * at the trial seeds is confirming at fresh ones: its 6 confirmation runs take about a minute on
     * 2 quiet cores, and twice a loaded run ended at 5 minutes with one still confirming. Fixed, not
     * scaled with the load, so the default demo ends within 8 minutes whatever happens.
     */
    public static final Duration CONFIRMATION_GRACE = Duration.ofMinutes(3);

    /** Why a demo at its end ({@link Stop#DURATION}) goes on for a while, if it does. */
    public enum Extension {
        NONE, RESULTS, CONFIRMATION
    }

    /** Why the demo's watch ends, or that it goes on. */
    public enum Stop {
        NOT_YET, ADOPTION, DURATION;

        /** The summary's {@code end_reason}. */
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A demo that runs for {@code duration}, whatever happens (a given {@code --duration}). */
    public DemoConfig(int nodes, Duration duration, int directions, int minResults, Path dataDir, List<String> launcher) {
        this(nodes, duration, directions, minResults, dataDir, launcher, false);
    }

    /**
     * Whether the watch ends after {@code elapsed} with this many adoptions in: at {@code duration}
     * always (the cap), and earlier for a demo that runs until an adoption once one is in and the
     * floor has passed. Results still short of {@code minResults} then extend it ({@link #extraWait}).
     */
    public Stop stopAt(Duration elapsed, long adoptions) {
        // an adoption during an extension past the cap ends the demo as one, not as the cap
        if (untilAdoption && adoptions > 0 && elapsed.compareTo(ADOPTION_FLOOR) >= 0) {
            return Stop.ADOPTION;
        }
        if (elapsed.compareTo(duration) >= 0) {
            return Stop.DURATION;
        }
        return Stop.NOT_YET;
    }

    /**
     * Whether a demo at its end goes on, and why: too few results or no experiment yet (for at most
     * {@link #extraWait}), else, for a demo that runs until an adoption, a candidate confirming at
     * its fresh seeds (for at most {@link #CONFIRMATION_GRACE}: the adoption the user ran it to see
     * is a minute or two away). A given {@code --duration} is kept to, as its flag says.
     */
    public Extension extensionAt(boolean tooFewResults, long confirming) {
        if (tooFewResults) {
            return Extension.RESULTS;
        }
        if (untilAdoption && confirming > 0) {
            return Extension.CONFIRMATION;
        }
        return Extension.NONE;
    }

    /**
     * No load makes the wait for {@code minResults} longer than this (or than {@code duration}, if
     * longer): the jobs of a working network end within it even at load 30 on 2 cores, so a demo
     * still without results by then has something wrong to show.
     */
    static final Duration EXTRA_WAIT_CEILING = Duration.ofMinutes(10);

    public DemoConfig {
        check(nodes, duration, directions, minResults);
    }

    /**
     * How long past {@code duration} to wait for {@code minResults} at this load average (negative:
     * unknown) on this many cores: another {@code duration} on a machine with a core to spare, as
     * many more as the load per core, up to a ceiling. A fixed second {@code duration} got no result
     * at load 30 on 2 cores, where each job runs at the lowest priority behind everything else.
     */
    public Duration extraWait(double loadAverage, int cores) {
        return extraWaitBudget().at(loadAverage, cores);
    }

    /** {@link #extraWait} at this machine's load now. */
    Duration extraWaitNow() {
        return extraWaitBudget().now();
    }

    private LoadScaledBudget extraWaitBudget() {
        return new LoadScaledBudget(duration, duration.compareTo(EXTRA_WAIT_CEILING) > 0 ? duration : EXTRA_WAIT_CEILING);
    }

    /**
     * Refuses values the demo cannot run with, so a command can check them before it makes anything
     * for the demo: `rhizome demo --nodes 0` left an empty temporary directory behind.
     */
    public static void check(int nodes, Duration duration, int directions, int minResults) {
        if (nodes < 1 || nodes > 32) {
            throw new InvalidOptionValue("--nodes", nodes, "a whole number from 1 to 32");
        }
        if (directions < 1 || directions > 8) {
            throw new InvalidOptionValue("--directions", directions, "a whole number from 1 to 8");
        }
        if (minResults < 0 || minResults > 10_000) {
            throw new InvalidOptionValue("--min-results", minResults, "a whole number from 0 to 10000");
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new InvalidOptionValue("--duration", duration.toSeconds(), "a positive number of seconds");
        }
    }
}
