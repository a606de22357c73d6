package dev.rhizome.node.job;

/**
 * What one job may use of the machine, besides time (the runner's deadline).
 *
 * @param memoryBytes the job's memory: its whole tree's, under cgroup v2; each process's address
 *                    space (plus {@link #ADDRESS_SPACE_ALLOWANCE}) under the rlimit fallback
 * @param processes   tasks (processes and threads) the job may have at once
 * @param tmpBytes    size of the job's private /tmp, which lives in memory
 * @param pendingSignals the job's RLIMIT_SIGPENDING (real-time signals queued and POSIX timers held),
 *                    counted for its uid on the host too; {@link PendingSignals} stops it past twice
 *                    that, standard signals included, which the kernel queues past any limit
 */
public record SandboxLimits(long memoryBytes, int processes, long tmpBytes, int pendingSignals) {
    /**
     * Address space reserved but never touched, added to the memory limit when it becomes
     * RLIMIT_AS: a JVM reserves its maximum heap, 1 GiB of class space and 240 MiB of code cache
     * up front and would not even start under an address-space limit equal to what it uses.
     */
    public static final long ADDRESS_SPACE_ALLOWANCE = 4L << 30;
    public static final int DEFAULT_PROCESSES = 4096;
    public static final int MIN_PROCESSES = 8;
    /** A share's memory is never cut below this (a JVM or Python with its libraries needs that much). */
    static final long MIN_SHARED_MEMORY = 256L << 20;
    /** Nor its /tmp below this. */
    static final long MIN_SHARED_TMP = 16L << 20;
    /** Nor its pending signals below this (a share's own RLIMIT_SIGPENDING; training queues none). */
    static final int MIN_SHARED_SIGNALS = 64;

    public SandboxLimits {
        if (memoryBytes < (16L << 20)) {
            throw new IllegalArgumentException("memory limit below 16 MiB: " + memoryBytes);
        }
        if (processes < MIN_PROCESSES) {
            throw new IllegalArgumentException("process limit below " + MIN_PROCESSES + ": " + processes);
        }
        if (tmpBytes < (1L << 20)) {
            throw new IllegalArgumentException("/tmp size below 1 MiB: " + tmpBytes);
        }
        if (pendingSignals < 1) {
            throw new IllegalArgumentException("pending signals below 1: " + pendingSignals);
        }
    }

    /** Limits with the whole node's pending signals ({@link BwrapCommand#PENDING_SIGNALS}). */
    public SandboxLimits(long memoryBytes, int processes, long tmpBytes) {
        this(memoryBytes, processes, tmpBytes, BwrapCommand.PENDING_SIGNALS);
    }

    /**
     * Three quarters of the machine's memory for the job, so the node and the desktop keep the rest;
     * /tmp a sixteenth. Tasks: {@link #DEFAULT_PROCESSES}, fewer where the node's own limits on its
     * uid's tasks and pending signals, which the job's count against on the host, are small
     * ({@link #tasksFor}).
     */
    public static SandboxLimits forMachine(long physicalMemoryBytes, NodeLimits node) {
        long memory = Math.max(256L << 20, physicalMemoryBytes / 4 * 3);
        return new SandboxLimits(memory, tasksFor(node), Math.max(64L << 20, physicalMemoryBytes / 16));
    }

    /**
     * Half the node's RLIMIT_NPROC, and no more than can hold every standard signal within half its
     * RLIMIT_SIGPENDING ({@link PendingSignals#tasksWithin}); never under {@link #MIN_PROCESSES}.
     */
    static int tasksFor(NodeLimits node) {
        return tasksFor(node, NodeShare.ALONE);
    }

    /**
     * As {@link #tasksFor(NodeLimits)} for one job of a {@link NodeShare}: sized as if the node's
     * limits were a {@code ways}-th of what they are, so that all the jobs together, each holding
     * every signal it can (its own limit's worth of real-time ones counts once per job), stay within
     * the half the node's jobs may take.
     */
    static int tasksFor(NodeLimits node, NodeShare share) {
        long tasks = DEFAULT_PROCESSES;
        if (node.processes().isPresent()) {
            tasks = Math.min(tasks, node.processes().getAsLong() / 2 / share.ways());
        }
        if (node.pendingSignals().isPresent()) {
            tasks = Math.min(tasks, PendingSignals.tasksWithin(node.pendingSignals().getAsLong() / share.ways()));
        }
        return (int) Math.max(MIN_PROCESSES, tasks);
    }

    /**
     * One job's share of this budget ({@link NodeShare}): a {@code ways}-th of its memory, /tmp,
     * tasks and pending signals, and no more tasks than {@link #tasksFor(NodeLimits, NodeShare)} gives one of that many
     * jobs. Limits are per job, so without shares several slots' jobs together took the node user's
     * whole RLIMIT_NPROC and RLIMIT_SIGPENDING, and more than the machine's memory, each within its
     * own. Never under the floors below nor above this budget's own.
     */
    SandboxLimits sharedBy(NodeShare share, NodeLimits node) {
        int tasks = Math.min(processes, Math.max(MIN_PROCESSES,
                Math.min(processes / share.ways(), tasksFor(node, share))));
        return new SandboxLimits(share.of(memoryBytes, MIN_SHARED_MEMORY), tasks, share.of(tmpBytes, MIN_SHARED_TMP),
                share.of(pendingSignals, MIN_SHARED_SIGNALS));
    }

    public long addressSpaceBytes() {
        return memoryBytes + ADDRESS_SPACE_ALLOWANCE;
    }
}
