package dev.rhizome.node.peer;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a server reads its bundle files' chunks: a few threads off the event loop with a bounded
 * queue. A read that blocks (a disk that stalls in the middle of a transfer) then holds up only its
 * own transfer, which the server ends with BUSY after {@link #PATIENCE_MS} ({@link ServeHandler});
 * read on the event loop, it held every connection of that loop, and sent nothing, BUSY included,
 * so the asker's stall rule read an honest holder's slow disk as a rogue's silence.
 * A reader held by a read past the patience is written off and another started in its place, up to
 * {@link #SPARES} of them: one bad sector or one hung file then costs a thread, not the node's serving
 * (before round 24 four stuck reads stopped every upload for good). Bounded, since a dead disk would
 * hang every reader it is given: once {@link #SPARES} are written off too, every upload is answered BUSY,
 * which the askers take as no fault, so the node says so itself ({@link #blocked}, logged once when it
 * happens and once when a read returns), or its operator would see only a node that serves nothing.
 */
public final class BundleReaders implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BundleReaders.class);

    static final int THREADS = 4;
    /** Readers started in place of ones written off (blocked past the patience), at most: as many as the usual readers. */
    static final int SPARES = 4;
    /** Reads waiting at most: each upload has one read at a time, and a server runs 8 uploads by default. */
    static final int QUEUE = 32;
    /** How long a chunk's read may take before its upload is ended with BUSY: as the builders' patience. */
    static final long PATIENCE_MS = BundleBuilders.PATIENCE_MS;
    /** The hint a BUSY for a blocked read carries: when the disk frees is unknown, so a stall window. */
    static final long RETRY_AFTER_MS = 10_000;

    private final ThreadPoolExecutor pool;
    /** When each read running now started (System.nanoTime), by a number of its own. */
    private final ConcurrentHashMap<Long, Long> runningSince = new ConcurrentHashMap<>();
    private final AtomicLong reads = new AtomicLong();
    /** Whether every reader was last seen blocked: the warning is said once, until a read returns. */
    private final AtomicBoolean allBlocked = new AtomicBoolean();
    /** Tests: while set, the next {@link #heldLeft} reads first wait for it (a disk that blocks). */
    private volatile CountDownLatch held;
    private final AtomicInteger heldLeft = new AtomicInteger();

    public BundleReaders(ThreadFactory threadFactory) {
        this.pool = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE),
                threadFactory, new ThreadPoolExecutor.AbortPolicy());
    }

    /**
     * Reads {@code length} bytes of {@code file} at {@code position} on a reader; the future completes
     * (on that reader) with them, or with the read's failure. Null when the readers and their queue
     * are full or closed: the caller answers BUSY.
     */
    CompletableFuture<ByteBuffer> read(FileChannel file, long position, int length, String commit) {
        CompletableFuture<ByteBuffer> result = new CompletableFuture<>();
        replaceBlocked();
        try {
            pool.execute(() -> {
                Long read = reads.incrementAndGet();
                runningSince.put(read, System.nanoTime());
                try {
                    CountDownLatch gate = held;
                    if (gate != null && heldLeft.getAndDecrement() > 0) {
                        gate.await();
                    }
                    ByteBuffer data = ByteBuffer.allocate(length);
                    while (data.hasRemaining()) {
                        if (file.read(data, position + data.position()) < 0) {
                            throw new EOFException("bundle file of " + commit + " ended before byte " + (position + length));
                        }
                    }
                    result.complete(data.flip());
                } catch (IOException | RuntimeException e) {
                    result.completeExceptionally(e);
                } catch (InterruptedException e) {
                    result.completeExceptionally(e);
                    Thread.currentThread().interrupt();
                } finally {
                    returned(read);
                }
            });
        } catch (RejectedExecutionException full) {
            return null;
        }
        return result;
    }

    /** Readers held now by a read that has run past {@link #PATIENCE_MS}; {@link #THREADS} plus {@link #SPARES} of them and nothing is served. */
    public int blocked() {
        long now = System.nanoTime();
        return (int) runningSince.values().stream().filter(since -> now - since >= PATIENCE_MS * 1_000_000).count();
    }

    /**
     * Called when an upload is ended for the disk: warns, once, when every reader is blocked, since
     * from then on every upload is answered BUSY until a read returns.
     */
    void checkBlocked() {
        int blocked = replaceBlocked();
        if (blocked >= THREADS + SPARES && allBlocked.compareAndSet(false, true)) {
            long oldest = runningSince.values().stream().mapToLong(Long::longValue).min().orElse(System.nanoTime());
            log.warn("all {} bundle readers have been blocked on the disk for {} s or more: every upload to peers is answered "
                    + "BUSY until a read returns; check the disk holding the repository", THREADS + SPARES,
                    (System.nanoTime() - oldest) / 1_000_000_000);
        }
    }

    /**
     * Sizes the pool to {@link #THREADS} readers that are not blocked, a spare started for each one
     * blocked (up to {@link #SPARES}); a spare is stopped once idle after a blocked read returns. The
     * readers blocked now.
     */
    private synchronized int replaceBlocked() {
        int blocked = blocked();
        int size = THREADS + Math.min(blocked, SPARES);
        if (size > pool.getMaximumPoolSize()) {
            pool.setMaximumPoolSize(size);
            pool.setCorePoolSize(size);  // starts a reader for a read already queued behind the blocked ones
        } else if (size < pool.getMaximumPoolSize()) {
            pool.setCorePoolSize(size);
            pool.setMaximumPoolSize(size);
        }
        return blocked;
    }

    /** Readers running now, spares included: {@link #THREADS} plus one for each written off, up to {@link #SPARES}. */
    int threads() {
        return pool.getMaximumPoolSize();
    }

    private void returned(Long read) {
        runningSince.remove(read);
        replaceBlocked();
        if (allBlocked.get() && blocked() < THREADS + SPARES && allBlocked.compareAndSet(true, false)) {
            log.info("a bundle read returned: uploads to peers go on");
        }
    }

    /** Tests: every read from now waits for {@code gate} (null: none), as on a disk that blocks. */
    void holdReads(CountDownLatch gate) {
        holdReads(gate, Integer.MAX_VALUE);
    }

    /** Tests: the next {@code count} reads wait for {@code gate}, as on a disk that blocks at a few bad sectors. */
    void holdReads(CountDownLatch gate, int count) {
        heldLeft.set(count);
        this.held = gate;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
