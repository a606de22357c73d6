package dev.rhizome.node.peer;

import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's bundle builders (JGit and disk block, so builds run off the event loop): a fixed
 * pool with a bounded queue. The bound is what makes a holder's BUSY honest: a request that finds
 * every builder taken and the queue full is answered BUSY at once (with a hint of when builders
 * should be free, {@link #retryAfterMs}), where an unbounded queue accepted it and left the asker's
 * stall clock running on a silence the holder could not end, and the asker banned an honest holder
 * at its third stall. It also bounds what a peer asking again after each BUSY can queue: a build
 * whose asker was told BUSY still runs (its bundle is cached for the next ask), but no more builds
 * wait than the queue holds. An ask for a build already queued or running (the same asker, told BUSY
 * at the patience and asking again, or another asker of the same bundle) joins it ({@link #build})
 * rather than starting a duplicate that would take a second place in the queue.
 */
public final class BundleBuilders implements AutoCloseable {
    public static final int THREADS = 2;
    /** Builds waiting for a builder at most: at a few hundred ms a build, seconds of backlog. */
    public static final int QUEUE = 8;
    /**
     * How long an accepted request may wait for its bundle before the asker is told BUSY rather than
     * left waiting on silence: under half the asker's default stall window ({@code fetchStall}, 10 s),
     * so the BUSY arrives before the asker's stall rule judges the silence.
     */
    public static final long PATIENCE_MS = 4_000;
    static final long MIN_RETRY_MS = 1_000;
    static final long MAX_RETRY_MS = 30_000;
    /** The build time assumed before one was measured. */
    static final long FIRST_BUILD_MS = 500;

    private final int threads;
    private final ThreadPoolExecutor pool;
    private final AtomicInteger inProgress = new AtomicInteger();
    /** Mean build time, smoothed (each build weighs an eighth). */
    private final AtomicLong meanBuildMs = new AtomicLong(FIRST_BUILD_MS);
    /** Builds queued or running, by what they build: a second ask of one joins it. */
    private final Map<Object, CompletableFuture<?>> building = new ConcurrentHashMap<>();

    public BundleBuilders(ThreadFactory threadFactory) {
        this(THREADS, QUEUE, threadFactory);
    }

    BundleBuilders(int threads, int queue, ThreadFactory threadFactory) {
        if (threads < 1 || queue < 1) {
            throw new IllegalArgumentException("bundle builders need a thread and a queue place, got " + threads + " and " + queue);
        }
        this.threads = threads;
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue),
                threadFactory, new ThreadPoolExecutor.AbortPolicy());
    }

    /**
     * Queues {@code build}; false when every builder is taken and the queue is full (answer BUSY), or
     * the builders are closed ({@link #closed}).
     */
    public boolean offer(Runnable build) {
        inProgress.incrementAndGet();
        try {
            pool.execute(() -> {
                long start = System.nanoTime();
                try {
                    build.run();
                } finally {
                    long took = (System.nanoTime() - start) / 1_000_000;
                    meanBuildMs.updateAndGet(mean -> mean + (took - mean) / 8);
                    inProgress.decrementAndGet();
                }
            });
            return true;
        } catch (RejectedExecutionException full) {
            inProgress.decrementAndGet();
            return false;
        }
    }

    /**
     * The build of {@code key} (equal keys build the same thing): joins the one queued or running, or
     * queues {@code build}; its result, or its throw, completes the future, on the builder's thread.
     * Null when it is not running and cannot be queued (answer BUSY), or the builders are closed.
     */
    @SuppressWarnings("unchecked")
    public synchronized <T> CompletableFuture<T> build(Object key, Callable<T> build) {
        CompletableFuture<?> running = building.get(key);
        if (running != null) {
            return (CompletableFuture<T>) running;
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        building.put(key, result);
        boolean queued = offer(() -> {
            try {
                T built = build.call();
                building.remove(key, result);
                result.complete(built);
            } catch (Throwable e) {
                building.remove(key, result);
                result.completeExceptionally(e);
            }
        });
        if (!queued) {
            building.remove(key, result);
            return null;
        }
        return result;
    }

    /** Builds queued or running. */
    public int backlog() {
        return inProgress.get();
    }

    /** When a BUSY's asker might find a builder free: the backlog's turn at the mean build time, bounded. */
    public long retryAfterMs() {
        return retryAfterMs(backlog(), threads, meanBuildMs.get());
    }

    /**
     * The backlog of {@code backlog} builds on {@code threads} builders, at {@code meanBuildMs} each,
     * in whole rounds, between {@link #MIN_RETRY_MS} (asking sooner only finds it busy again) and
     * {@link #MAX_RETRY_MS} (a hint is a guess: later than that the asker should look again anyway).
     */
    static long retryAfterMs(int backlog, int threads, long meanBuildMs) {
        long rounds = (Math.max(0, backlog) + threads - 1) / Math.max(1, threads);
        long estimate = rounds * Math.max(0, meanBuildMs);
        return Math.max(MIN_RETRY_MS, Math.min(MAX_RETRY_MS, estimate));
    }

    public boolean closed() {
        return pool.isShutdown();
    }

    @Override
    public void close() {
        pool.shutdownNow();
        building.values().forEach(b -> b.cancel(false));
    }
}
