package dev.rhizome.node.gossip.net;

import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.protocol.WorkerFailures;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread every call into the gossip core runs on, in order (so the core needs no lock), with
 * the clocks it reads and the one timer the core asks for ({@link dev.rhizome.node.gossip.core.Effect.Wakeup}).
 * The core's time ({@link #nowMs}) is monotonic: the wall clock at start, then {@link System#nanoTime}'s
 * progress, so the timer and every deadline the core keeps are moved by no step of the system clock
 * (on the wall clock a step on past the link idle limit closed every link as silent, and a step back
 * put the next wakeup off by the step). The wall clock ({@link #wallMs}) is injected, so a test may
 * step it; the core dates and judges signed records by it.
 */
final class CoreThread implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoreThread.class);

    private final ScheduledExecutorService executor;
    private final LongSupplier wall;
    private final long startWallMs;
    private final long startNanos;
    /** Run on the core thread before each task posted and each wakeup (the wall clock told to the core). */
    private volatile Runnable beforeEach = () -> { };
    private ScheduledFuture<?> wakeup;     // core thread only
    private long wakeupAtMs = Long.MAX_VALUE;
    /** The core's wakeups that threw; core thread only, but WorkerFailures is safe anywhere. */
    private final WorkerFailures tickFailures =
            new WorkerFailures(log, "the gossip core's wakeup");
    /**
     * Steps that threw: a peer's message is a step, so a rogue that finds one that throws could
     * repeat it on every link; each line carries a stack trace.
     */
    private final WarnBudget stepFailures = new WarnBudget(log);
    /** How soon a wakeup that threw (and so asked for no next one) runs again. */
    static final long RETRY_MS = 1_000;

    /** @param wall the wall clock, in milliseconds since the epoch */
    CoreThread(String name, LongSupplier wall) {
        this.executor = Executors.newSingleThreadScheduledExecutor(daemon(name));
        this.wall = wall;
        this.startNanos = System.nanoTime();
        this.startWallMs = wall.getAsLong();
    }

    /** The core's time: monotonic, in milliseconds, reading the wall clock's time at start. */
    long nowMs() {
        return startWallMs + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** The wall clock now, in milliseconds since the epoch (what signed records are dated by). */
    long wallMs() {
        return wall.getAsLong();
    }

    /** Sets the work run on the core thread before each posted task and each wakeup. */
    void beforeEach(Runnable work) {
        this.beforeEach = work;
    }

    /** Runs {@code task} on the core thread, after what is already queued; dropped once closed. */
    void post(Runnable task) {
        try {
            executor.execute(() -> {
                try {
                    beforeEach.run();
                    task.run();
                } catch (RuntimeException | Error e) {  // an Error too: the executor would swallow it unlogged
                    stepFailures.error("gossip core step failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Runs {@code task} on the core thread and waits for its answer. */
    <T> T call(Callable<T> task) throws InterruptedException {
        try {
            return executor.submit(task).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /** Core thread only: runs {@code tick} at {@code atMs} by the clock, replacing the wakeup set before. */
    void wakeAt(long atMs, Runnable tick) {
        if (atMs == wakeupAtMs) {
            return;
        }
        if (wakeup != null) {
            wakeup.cancel(false);
        }
        wakeupAtMs = atMs;
        try {
            wakeup = executor.schedule(() -> {
                wakeupAtMs = Long.MAX_VALUE;
                try {
                    beforeEach.run();
                    tick.run();
                    tickFailures.succeeded();
                } catch (RuntimeException | Error e) {
                    tickFailures.failed(e);
                    // A step that threw asked for no next wakeup: without one the core would never
                    // tick again (no keepalives, no retries, no expiries) until some peer spoke.
                    if (wakeupAtMs == Long.MAX_VALUE) {
                        wakeAt(nowMs() + RETRY_MS, tick);
                    }
                }
            }, Math.max(0, atMs - nowMs()), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Runs {@code task} every {@code periodMs}: only for a protocol that never asks for its wakeups. */
    void every(long periodMs, Runnable task) {
        executor.scheduleWithFixedDelay(WorkerFailures.periodic(log, "the gossip tick", task),
                periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
