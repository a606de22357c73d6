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

    JobProcess(Process process, Runnable killAll, TreeRule rule) {
        this(process, killAll, List.of(), rule);
    }

    JobProcess(Process process, Runnable killAll, List<Thread> pumps, TreeRule rule) {
        this.process = process;
        this.killAll = killAll;
        this.pumps = List.copyOf(pumps);
        this.rule = Objects.requireNonNull(rule, "rule");
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
        return process.exitValue();
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
