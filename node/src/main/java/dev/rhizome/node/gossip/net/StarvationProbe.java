package dev.rhizome.node.gossip.net;

/**
 * Measures how late this node's own core thread runs: a task scheduled every {@link #PERIOD_MS}
 * that starts well after its time found the thread (or the whole process) starved of CPU, or busy
 * with a backlog, so progress reports of fetches waited in its queue and their bytes in its socket
 * buffers. The core is told, and does not take holders for stallers for that time. Reads the
 * monotonic clock it is handed, never the core's (which a test may move by hand).
 */
final class StarvationProbe {
    /** How often the probe runs. */
    static final long PERIOD_MS = 250;
    /** Lateness below this is ordinary scheduling noise, not reported. */
    static final long REPORTED_MS = 1_000;

    private long lastNanos;

    StarvationProbe(long startNanos) {
        this.lastNanos = startNanos;
    }

    /** The probe ran at {@code nanos}; returns how late it was in ms if worth reporting, else 0. */
    long lateMs(long nanos) {
        long late = (nanos - lastNanos) / 1_000_000 - PERIOD_MS;
        lastNanos = nanos;
        return late >= REPORTED_MS ? late : 0;
    }
}
