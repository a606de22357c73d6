package dev.rhizome.node.job;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A job's process as a launcher hands it out: the started process, whose destroy also ends
 * everything it started, by whatever means the launcher has (a PID namespace and cgroup, or a
 * sweep of its descendants).
 */
final class JobProcess extends Process {
    private final Process process;
    private final Runnable killAll;
    /** Threads copying the process's output to its log files: it is not over before they are. */
    private final List<Thread> pumps;
    private final TreeRule rule;
    /**
     * What must happen once the process has ended, before anyone reads what it wrote: a node of an
     * ordinary user gives the job's checkout back from the job's subordinate uid
     * ({@link SubordinateOwnership#toNode}). Run synchronously by the first {@code waitFor} that sees
     * the end, since a callback of {@link Process#onExit} would race the runner's reads and deletes.
     */
    private final Ended ended;
    /**
     * The look at the job's descriptors its rules take ({@link RecentLook}), for the disk check's
     * {@link DeletedFiles} to share rather than read every descriptor again in the same poll.
     */
    private final Optional<DescriptorSource> descriptors;
    private boolean endedRun;
    /** Why {@link #ended} failed, if it did. */
    private volatile String endFailure;

    /** What runs once a job's process has ended ({@link #ended}). */
    interface Ended {
        Ended NOTHING = () -> { };

        void run() throws java.io.IOException;
    }

    JobProcess(Process process, Runnable killAll, TreeRule rule) {
        this(process, killAll, List.of(), rule);
    }

    JobProcess(Process process, Runnable killAll, List<Thread> pumps, TreeRule rule) {
        this(process, killAll, pumps, rule, Ended.NOTHING);
    }

    JobProcess(Process process, Runnable killAll, List<Thread> pumps, TreeRule rule, Ended ended) {
        this(process, killAll, pumps, rule, ended, Optional.empty());
    }

    JobProcess(Process process, Runnable killAll, List<Thread> pumps, TreeRule rule, Ended ended,
            Optional<DescriptorSource> descriptors) {
        this.descriptors = Objects.requireNonNull(descriptors, "descriptors");
        this.process = process;
        this.killAll = killAll;
        this.pumps = List.copyOf(pumps);
        this.rule = Objects.requireNonNull(rule, "rule");
        this.ended = Objects.requireNonNull(ended, "ended");
    }

    /** Why the job's checkout could not be given back to the node once it ended ({@link #ended}), if so. */
    Optional<String> endFailure() {
        return Optional.ofNullable(endFailure);
    }

    private synchronized void afterEnd() {
        if (endedRun) {
            return;
        }
        endedRun = true;
        try {
            ended.run();
        } catch (java.io.IOException | RuntimeException e) {
            endFailure = String.valueOf(e.getMessage());
        }
    }

    /** The look at the job's descriptors its rules share, where they read them ({@link RecentLook}). */
    Optional<DescriptorSource> descriptors() {
        return descriptors;
    }

    /** What the node holds the running job's processes to ({@link ProcessTree#look}). */
    TreeRule rule() {
        return rule;
    }

    /** Why the job's log misses part of its output, if a pump could not write it ({@link LogPump#failure}). */
    Optional<String> logFailure() {
        return pumps.stream().filter(LogPump.class::isInstance).map(p -> ((LogPump) p).failure())
                .flatMap(Optional::stream).findFirst();
    }

    private boolean pumped() {
        return pumps.stream().noneMatch(Thread::isAlive);
    }

    @Override
    public OutputStream getOutputStream() {
        return process.getOutputStream();
    }

    @Override
    public InputStream getInputStream() {
        return process.getInputStream();
    }

    @Override
    public InputStream getErrorStream() {
        return process.getErrorStream();
    }

    @Override
    public int waitFor() throws InterruptedException {
        int exit = process.waitFor();
        afterEnd();
        for (Thread pump : pumps) {
            pump.join();
        }
        return exit;
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        if (!process.waitFor(timeout, unit)) {
            return false;
        }
        afterEnd();
        for (Thread pump : pumps) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(pump, left);
            }
        }
        return pumped();
    }

    @Override
    public int exitValue() {
        if (!pumped()) {
            throw new IllegalThreadStateException("its output is still being copied");
        }
        int exit = process.exitValue();
        afterEnd();
        return exit;
    }

    @Override
    public void destroy() {
        killAll.run();
    }

    @Override
    public Process destroyForcibly() {
        killAll.run();
        return this;
    }

    @Override
    public boolean supportsNormalTermination() {
        return false; // both destroys kill outright: a job gets no say in how it ends
    }

    @Override
    public boolean isAlive() {
        return process.isAlive() || !pumped();
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public ProcessHandle toHandle() {
        return process.toHandle();
    }

    @Override
    public CompletableFuture<Process> onExit() {
        return process.onExit().thenApply(p -> {
            for (Thread pump : pumps) {
                try {
                    pump.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return this;
        });
    }

    @Override
    public String toString() {
        return "JobProcess[" + process + "]";
    }
}
