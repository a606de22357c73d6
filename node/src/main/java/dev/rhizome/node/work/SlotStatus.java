package dev.rhizome.node.work;

/**
 * What one slot is doing, for {@code rhizome node status}. Times are epoch milliseconds;
 * {@code job} and {@code next} are null when there is none. {@code lease}: the evaluation the slot
 * is fetching or running, and its lease as renewed so far; null when it holds none. {@code cpus}: the
 * CPUs the slot's jobs are held to, as the kernel lists them ({@code 0-3}), null where they may run on
 * every CPU the node may use. {@code fetch}: the commit the slot is fetching, null when none.
 */
public record SlotStatus(String name, String hardwareClass, Integer gpuIndex, String state, Job job, Queued next,
        long jobsRun, long prefetchedRuns, Lease lease, String cpus, Fetch fetch) {

    public SlotStatus(String name, String hardwareClass, Integer gpuIndex, String state, Job job, Queued next,
            long jobsRun, long prefetchedRuns, Lease lease, String cpus) {
        this(name, hardwareClass, gpuIndex, state, job, next, jobsRun, prefetchedRuns, lease, cpus, null);
    }

    public SlotStatus(String name, String hardwareClass, Integer gpuIndex, String state, Job job, Queued next,
            long jobsRun, long prefetchedRuns) {
        this(name, hardwareClass, gpuIndex, state, job, next, jobsRun, prefetchedRuns, null, null);
    }

    /**
     * The lease of the unit a slot fetches or runs ({@code LeaseHeartbeat}): its deadline now, and the
     * renewals it has had since the slot took it to fetch or run (the slot's state says which).
     */
    public record Lease(String unit, long deadlineMs, int renewals) {
    }

    /**
     * A commit the slot is fetching since {@code startedMs}: for {@code unit}, or, once that unit was
     * given back because the download outlasted its job's limit, for no unit ({@code unit} null,
     * {@code givenBackUnit} the unit given back): the download goes on, so the commit is here for a
     * later unit of it, and the slot holds no lease meanwhile.
     */
    public record Fetch(String commit, long startedMs, String unit, String givenBackUnit) {
    }

    /** The running job: progress is the elapsed share of its expected time, and its last "step" line. */
    public record Job(String unit, String commit, String seed, String direction, long startedMs, long expectedMs,
            double progress, String lastStep) {
    }

    /** A unit claimed ahead and fetched, waiting for the running job to end. */
    public record Queued(String unit, String commit, long leaseDeadlineMs, boolean fetched) {
    }
}
