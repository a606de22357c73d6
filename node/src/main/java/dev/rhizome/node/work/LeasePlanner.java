package dev.rhizome.node.work;

/**
 * Keeps the work buffer honest: a slot claims its next unit while its job runs only when that
 * unit can still be finished within a lease, and renews a buffered unit's lease before starting
 * it when what is left would not cover the job. Pure arithmetic on times in milliseconds.
 */
public final class LeasePlanner {
    /** Room for fetching, checking out and reporting on top of the job itself. */
    public static final long MARGIN_MS = 15_000;

    private LeasePlanner() {
    }

    /**
     * Whether to claim the next unit now, while a job started at {@code currentStartMs} that is
     * expected to take {@code currentExpectedMs} runs: the next one would wait for it, then run
     * for {@code nextExpectedMs}, all within a lease of {@code leaseMs} from now.
     */
    public static boolean mayBuffer(long nowMs, long currentStartMs, long currentExpectedMs, long nextExpectedMs,
            long leaseMs) {
        long currentLeft = Math.max(0, currentStartMs + currentExpectedMs - nowMs);
        return currentLeft + nextExpectedMs + MARGIN_MS <= leaseMs;
    }

    /** Whether a lease ending at {@code deadlineMs} must be renewed before a job of {@code expectedMs} starts. */
    public static boolean needsRenewal(long nowMs, long deadlineMs, long expectedMs) {
        return deadlineMs - nowMs < expectedMs + MARGIN_MS;
    }
}
