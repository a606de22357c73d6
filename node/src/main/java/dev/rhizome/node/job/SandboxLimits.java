package dev.rhizome.node.job;

/**
 * What one job may use of the machine, besides time (the runner's deadline).
 *
 * @param memoryBytes the job's memory: its whole tree's, under cgroup v2; each process's address
 *                    space (plus {@link #ADDRESS_SPACE_ALLOWANCE}) under the rlimit fallback
 * @param processes   tasks (processes and threads) the job may have at once
 * @param tmpBytes    size of the job's private /tmp, which lives in memory
 */
public record SandboxLimits(long memoryBytes, int processes, long tmpBytes) {
    /**
     * Address space reserved but never touched, added to the memory limit when it becomes
     * RLIMIT_AS: a JVM reserves its maximum heap, 1 GiB of class space and 240 MiB of code cache
     * up front and would not even start under an address-space limit equal to what it uses.
     */
    public static final long ADDRESS_SPACE_ALLOWANCE = 4L << 30;
    public static final int DEFAULT_PROCESSES = 4096;
    public static final int MIN_PROCESSES = 8;

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
        long tasks = DEFAULT_PROCESSES;
        if (node.processes().isPresent()) {
            tasks = Math.min(tasks, node.processes().getAsLong() / 2);
        }
        if (node.pendingSignals().isPresent()) {
            tasks = Math.min(tasks, PendingSignals.tasksWithin(node.pendingSignals().getAsLong()));
        }
        return (int) Math.max(MIN_PROCESSES, tasks);
    }

    public long addressSpaceBytes() {
        return memoryBytes + ADDRESS_SPACE_ALLOWANCE;
    }
}
