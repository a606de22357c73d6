package dev.rhizome.node.peer;

/**
 * The serving side's stall rule, the mirror of the fetch side's: an upload whose reader has let no
 * chunk through for a whole window while our writes waited on it (the channel full) is given up,
 * so that a reader trickling a byte at a time cannot hold one of the few upload slots for as long
 * as it likes. The window is as long as one chunk takes at the fetch side's floor of 6.4 KB/s (never
 * under 10 s), so a reader the fetch side would call progressing is never cut. A moment when the
 * channel has room is never held against the reader: then our own pacing holds the bytes back.
 * Pure; the Netty adapter tells it when chunks go out and asks it now and then.
 */
final class SlowReaderRule {
    /** The fetch side's floor: 64 KiB in its 10 s stall window. */
    static final long FLOOR_BYTES_PER_SECOND = 64 * 1024 / 10;
    static final long MIN_WINDOW_MS = 10_000;

    private final long windowMs;
    private long lastProgressMs;

    SlowReaderRule(int chunkBytes) {
        this.windowMs = Math.max(MIN_WINDOW_MS, chunkBytes * 1000L / FLOOR_BYTES_PER_SECOND);
    }

    long windowMs() {
        return windowMs;
    }

    /** An upload starts, or a chunk of it was taken by the reader. */
    void progressed(long nowMs) {
        lastProgressMs = nowMs;
    }

    /** True when the upload should be given up: the channel is full and no chunk went out for a window. */
    boolean stalled(long nowMs, boolean readerBlocked) {
        return readerBlocked && nowMs - lastProgressMs >= windowMs;
    }
}
