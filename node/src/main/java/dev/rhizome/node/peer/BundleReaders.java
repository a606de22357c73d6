package dev.rhizome.node.peer;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Where a server reads its bundle files' chunks: a few threads off the event loop with a bounded
 * queue. A read that blocks (a disk that stalls in the middle of a transfer) then holds up only its
 * own transfer, which the server ends with BUSY after {@link #PATIENCE_MS} ({@link ServeHandler});
 * read on the event loop, it held every connection of that loop, and sent nothing, BUSY included,
 * so the asker's stall rule read an honest holder's slow disk as a rogue's silence.
 */
public final class BundleReaders implements AutoCloseable {
    static final int THREADS = 4;
    /** Reads waiting at most: each upload has one read at a time, and a server runs 8 uploads by default. */
    static final int QUEUE = 32;
    /** How long a chunk's read may take before its upload is ended with BUSY: as the builders' patience. */
    static final long PATIENCE_MS = BundleBuilders.PATIENCE_MS;
    /** The hint a BUSY for a blocked read carries: when the disk frees is unknown, so a stall window. */
    static final long RETRY_AFTER_MS = 10_000;

    private final ThreadPoolExecutor pool;
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
                }
            });
        } catch (RejectedExecutionException full) {
            return null;
        }
        return result;
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
