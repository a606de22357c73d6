package dev.rhizome.node.gossip.core;

/**
 * How long a node short of links waits before it asks the bootstrap source (the coordinator) for
 * peers again: the base wait the {@link Dialer} gives, doubled after each ask up to
 * {@link #CAP_MS}, and the base again once something changed that a new answer could follow (a
 * link lost, a peer new to the table). A network smaller than the degree or the outbound quota
 * keeps a node short for good: without this it asked every 10 or 30 s forever, each ask a
 * coordinator round trip that taught it nothing new.
 */
final class FindPeersBackoff {
    /** The longest wait between asks: a node short of links still hears of newcomers within it. */
    static final long CAP_MS = 5 * 60_000;
    /** Enough doublings to pass the cap from any base; more would only overflow the shift. */
    private static final int MAX_DOUBLINGS = 20;

    private int doublings;

    /** The wait before the next ask, for a policy whose first wait is {@code baseMs}. */
    long waitMs(long baseMs) {
        return Math.min(CAP_MS, baseMs << doublings);
    }

    /** An ask went out that nothing prompted but the wait: the next waits twice as long. */
    void asked() {
        if (doublings < MAX_DOUBLINGS) {
            doublings++;
        }
    }

    /** A link was lost or a peer learnt: the next ask is at the base wait again. */
    void reset() {
        doublings = 0;
    }
}
