package dev.rhizome.node.gossip.net;

/**
 * Measures how late this process runs: a task on a thread of its own, scheduled every
 * {@link #PERIOD_MS}, that starts well after its time found the process starved of CPU (or
 * paused), so the fetches' bytes waited unread in its socket buffers and their progress reports in
 * its queues. The core is told, and does not take holders for stallers for that time. A backlog on
 * the core thread alone (a peer's flood) does not delay it, so it excuses no staller. Reads the
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
