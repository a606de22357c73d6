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
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a server reads its bundle files' chunks: a few threads off the event loop with a bounded
 * queue. A read that blocks (a disk that stalls in the middle of a transfer) then holds up only its
 * own transfer, which the server ends with BUSY after {@link #PATIENCE_MS} ({@link ServeHandler});
 * read on the event loop, it held every connection of that loop, and sent nothing, BUSY included,
 * so the asker's stall rule read an honest holder's slow disk as a rogue's silence.
 * Every reader held by a read past the patience (a dead disk) leaves every upload answered BUSY, which
 * the askers take as no fault: the node says so itself ({@link #blocked}, logged once when it happens
 * and once when a read returns), or its operator would see only a node that serves nothing.
 */
public final class BundleReaders implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BundleReaders.class);

    static final int THREADS = 4;
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
    /** Tests: while set, every read first waits for it (a disk that blocks). */
    private volatile CountDownLatch held;

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
        try {
            pool.execute(() -> {
                Long read = reads.incrementAndGet();
                runningSince.put(read, System.nanoTime());
                try {
                    CountDownLatch gate = held;
                    if (gate != null) {
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

    /** Readers held now by a read that has run past {@link #PATIENCE_MS}; {@link #THREADS} of them and nothing is served. */
    public int blocked() {
        long now = System.nanoTime();
        return (int) runningSince.values().stream().filter(since -> now - since >= PATIENCE_MS * 1_000_000).count();
    }

    /**
     * Called when an upload is ended for the disk: warns, once, when every reader is blocked, since
     * from then on every upload is answered BUSY until a read returns.
     */
    void checkBlocked() {
        int blocked = blocked();
        if (blocked >= THREADS && allBlocked.compareAndSet(false, true)) {
            long oldest = runningSince.values().stream().mapToLong(Long::longValue).min().orElse(System.nanoTime());
            log.warn("all {} bundle readers have been blocked on the disk for {} s or more: every upload to peers is answered "
                    + "BUSY until a read returns; check the disk holding the repository", THREADS,
                    (System.nanoTime() - oldest) / 1_000_000_000);
        }
    }

    private void returned(Long read) {
        runningSince.remove(read);
        if (allBlocked.get() && blocked() < THREADS && allBlocked.compareAndSet(true, false)) {
            log.info("a bundle read returned: uploads to peers go on");
        }
    }

    /** Tests: every read from now waits for {@code gate} (null: none), as on a disk that blocks. */
    void holdReads(CountDownLatch gate) {
        this.held = gate;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
