package dev.rhizome.node.work;

/**
 * What one slot is doing, for {@code rhizome node status}. Times are epoch milliseconds;
 * {@code job} and {@code next} are null when there is none. {@code cpus}: the CPUs the slot's jobs are held to, as
 * the kernel lists them ({@code 0-3}), null where they may run on every CPU the node may use.
 */
public record SlotStatus(String name, String hardwareClass, Integer gpuIndex, String state, Job job, Queued next,
        long jobsRun, long prefetchedRuns, String cpus) {

    public SlotStatus(String name, String hardwareClass, Integer gpuIndex, String state, Job job, Queued next,
            long jobsRun, long prefetchedRuns) {
        this(name, hardwareClass, gpuIndex, state, job, next, jobsRun, prefetchedRuns, null);
    }

    /** The running job: progress is the elapsed share of its expected time, and its last "step" line. */
    public record Job(String unit, String commit, String seed, String direction, long startedMs, long expectedMs,
            double progress, String lastStep) {
    }

    /** A unit claimed ahead and fetched, waiting for the running job to end. */
    public record Queued(String unit, String commit, long leaseDeadlineMs, boolean fetched) {
    }
}
