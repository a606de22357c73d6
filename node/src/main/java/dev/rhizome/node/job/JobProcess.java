package dev.rhizome.node.job;

import java.io.InputStream;
import java.io.OutputStream;
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

    JobProcess(Process process, Runnable killAll) {
        this.process = process;
        this.killAll = killAll;
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
        return process.waitFor();
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return process.waitFor(timeout, unit);
    }

    @Override
    public int exitValue() {
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
        return process.isAlive();
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
        return process.onExit().thenApply(p -> this);
    }

    @Override
    public String toString() {
        return "JobProcess[" + process + "]";
    }
}
