package dev.rhizome.node.peer;

/**
 * The serving side's stall rule, the mirror of the fetch side's: an upload whose reader has taken
 * less than a chunk's worth of bytes for a whole window while our writes waited on it (the channel
 * full) is given up, so that a reader trickling a byte at a time cannot hold one of the few upload
 * slots for as long as it likes. The window is as long as one chunk takes at the fetch side's floor
 * of 6.4 KB/s (never under 10 s), so a reader the fetch side would call progressing is never cut. A
 * moment when the channel has room is never held against the reader: then our own pacing holds the
 * bytes back.
 *
 * <p>What counts is the bytes the socket accepted ({@link #accepted}), not whole chunks written: the
 * kernel reports a full socket writable again only once a third of its send buffer is free, and on
 * loopback that buffer grows to megabytes, so a reader steadily taking 16 KB/s saw no chunk leave
 * for most of a minute and was cut. While the socket is full, each byte it accepts is one the
 * reader took (its send buffer freed that room), so the adapter offers the socket our bytes now and
 * then (a write attempt, whatever the kernel's wakeup says) and reports what it took. Pure; the
 * Netty adapter tells it when an upload starts and what was accepted, and asks it now and then.
 */
final class SlowReaderRule {
    /** The fetch side's floor: 64 KiB in its 10 s stall window. */
    static final long FLOOR_BYTES_PER_SECOND = 64 * 1024 / 10;
    static final long MIN_WINDOW_MS = 10_000;

    private final long windowMs;
    private final long progressBytes;
    private long lastProgressMs;
    /** Bytes accepted when progress was last counted, and the most seen since. */
    private long markBytes;
    private long seenBytes;

    SlowReaderRule(int chunkBytes) {
        this.windowMs = Math.max(MIN_WINDOW_MS, chunkBytes * 1000L / FLOOR_BYTES_PER_SECOND);
        this.progressBytes = chunkBytes;
    }

    long windowMs() {
        return windowMs;
    }

    /** An upload starts: nothing of it accepted yet. */
    void started(long nowMs) {
        lastProgressMs = nowMs;
        markBytes = 0;
        seenBytes = 0;
    }

    /** An upload starts, or a whole chunk of it was taken (kept for callers that count chunks only). */
    void progressed(long nowMs) {
        lastProgressMs = nowMs;
        markBytes = seenBytes;
    }

    /**
     * The socket has accepted {@code totalBytes} of this upload so far (never decreasing, but a
     * smaller figure is ignored): a chunk's worth more than at the last progress is progress.
     */
    void accepted(long totalBytes, long nowMs) {
        seenBytes = Math.max(seenBytes, totalBytes);
        if (seenBytes - markBytes >= progressBytes) {
            lastProgressMs = nowMs;
            markBytes = seenBytes;
        }
    }

    /** True when the upload should be given up: the channel is full and less than a chunk went out for a window. */
    boolean stalled(long nowMs, boolean readerBlocked) {
        return readerBlocked && nowMs - lastProgressMs >= windowMs;
    }
}
