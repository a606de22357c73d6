package dev.rhizome.node.job;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A job's time limit, charged as a volunteer-compute client charges one: BOINC counts a task's CPU
 * time against its limit and bounds its elapsed time far above it. A job runs at a volunteer's
 * priority (nice 19) on a machine it shares, so wall-clock time counted the minutes it waited for a
 * CPU, and on a loaded machine honest work timed out before it had run. Here each interval between
 * two samples is charged the job's CPU time in it, at most the interval itself: a job on several
 * cores is charged wall-clock time, as before; a job starved of CPU is charged nothing while it
 * waits. A job that waits on anything else (a sleep, a GPU it does not spin on) is charged little
 * too, so its elapsed time is bounded: {@value #WALL_BOUND_FACTOR} times the limit, inside the lease
 * the coordinator grants for it (twice the seed's timeout and 30 s), so that what it measures can
 * still be reported. Pure: the caller samples the clock and the process tree ({@link TreeCpu}).
 *
 * <p>At that bound the clock tells the machine's fault from the commit's by what the job did with the
 * time it was not charged: a job that spent at least half of it runnable but waiting on a run queue
 * (the kernel's {@code run_delay}) was kept off a CPU by other work ({@link #starvedOfCpu}); a job that
 * mostly slept or blocked was slow by itself. Whether it was asleep when its time ran out does not
 * decide (it did from round 31 to 33): a starved job's own sleep comes after the wait that took its
 * bound (a GPU job whose start was kept off a CPU then blocks on the GPU; a job that waited to start,
 * then sleeps between its steps), and the wait, not the sleep, is what stopped it short of a machine
 * with a core to spare. Undecidable from here is whether such a job would have finished there: it is
 * given back, not charged to the commit, and a node with a core to spare judges it.
 */
public final class JobClock {
    public static final int WALL_BOUND_FACTOR = 2;

    private final long limitNanos;
    private final long startNanos;
    private long lastNanos;
    private long chargedNanos;
    private long cpuNanos;
    private long waitedNanos;
    private boolean waitKnown = true;

    public JobClock(Duration limit, long startNanos) {
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("a job's time limit must be positive, got " + limit);
        }
        this.limitNanos = limit.toNanos();
        this.startNanos = startNanos;
        this.lastNanos = startNanos;
    }

    /**
     * Charges the time from the last sample to {@code nowNanos}: {@code cpuNanos} of CPU used in it,
     * at most the interval; the whole interval where the CPU time is unknown (no {@code /proc}).
     */
    public void charge(long nowNanos, OptionalLong cpuNanos) {
        charge(nowNanos, cpuNanos, OptionalLong.empty());
    }

    /**
     * The same, with the time the job's processes spent runnable but waiting for a CPU in the
     * interval ({@code runQueueNanos}; empty where unknown: then no wait is ever blamed on the
     * machine). Counted at most the part of the interval it was not charged: several waiting threads
     * wait at once.
     */
    public void charge(long nowNanos, OptionalLong cpuNanos, OptionalLong runQueueNanos) {
        long interval = Math.max(0, nowNanos - lastNanos);
        long used = cpuNanos.isPresent() ? Math.max(0, cpuNanos.getAsLong()) : interval;
        long charged = Math.min(interval, used);
        chargedNanos += charged;
        this.cpuNanos += used;
        if (runQueueNanos.isPresent()) {
            waitedNanos += Math.min(interval - charged, Math.max(0, runQueueNanos.getAsLong()));
        } else {
            waitKnown = false;
        }
        lastNanos = Math.max(lastNanos, nowNanos);
    }

    /** Why the job must stop now, in words for its result's reason; empty while it may run on. */
    public Optional<String> overrun(long nowNanos) {
        long elapsed = nowNanos - startNanos;
        if (chargedNanos >= limitNanos) {
            return Optional.of("timed out: it ran " + seconds(chargedNanos) + " s, the seed's limit (timeout_seconds), in "
                    + seconds(elapsed) + " s of wall-clock time on this machine");
        }
        if (elapsed >= wallBoundNanos()) {
            String bound = seconds(elapsed) + " s of wall-clock time passed, " + WALL_BOUND_FACTOR
                    + " times the seed's limit of " + seconds(limitNanos) + " s, and it was charged only "
                    + seconds(chargedNanos) + " s of running (" + seconds(cpuNanos) + " s of CPU time)";
            if (starvedOfCpu(nowNanos)) {
                return Optional.of("not run to its end: " + bound + ": it waited " + seconds(waitedNanos)
                        + " s for a CPU, which other work on this busy machine held");
            }
            return Optional.of("timed out: " + bound + ": it waited, " + (waitKnown
                    ? "mostly not for a CPU (" + seconds(waitedNanos) + " s of it), but on a sleep, a GPU or its input"
                    : "for a CPU on a busy machine or on something else (a sleep, a GPU, its input)"));
        }
        return Optional.empty();
    }

    /**
     * Whether the job, stopped at the wall-clock bound short of its limit, spent at least half of
     * the time it was not charged waiting for a CPU: the machine's fault, not the commit's. False
     * where the wait could not be read.
     */
    public boolean starvedOfCpu(long nowNanos) {
        long elapsed = nowNanos - startNanos;
        return waitKnown && chargedNanos < limitNanos && elapsed >= wallBoundNanos() && mostlyWaited(nowNanos);
    }

    private boolean mostlyWaited(long nowNanos) {
        return 2 * waitedNanos >= nowNanos - startNanos - chargedNanos;
    }

    /** The time charged so far: the CPU time counted against the limit. */
    public Duration charged() {
        return Duration.ofNanos(chargedNanos);
    }

    /** The wall-clock bound: no job runs longer than this, however little it was charged. */
    public long wallBoundNanos() {
        return limitNanos > Long.MAX_VALUE / WALL_BOUND_FACTOR ? Long.MAX_VALUE : limitNanos * WALL_BOUND_FACTOR;
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e9);
    }
}
