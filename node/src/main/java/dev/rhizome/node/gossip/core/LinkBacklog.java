package dev.rhizome.node.gossip.core;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A link's messages handed to the core and not yet handled: a peer that sends faster than the core
 * handles its messages stops being read (its bytes wait in its own socket, under TCP's flow
 * control) until the backlog halves, so what one peer queues on the node is bounded whatever it
 * sends. The driver asks this at each message and each handled one and pauses or resumes the
 * link's reads; the bound is the core's, as its other limits are (it was decided in the driver).
 *
 * <p>Thread-safe: counted on the link's event loop as a message arrives, and on the core thread as
 * it is handled.
 */
public final class LinkBacklog {
    /** A few bursts of a link's token bucket (50): more waiting than the core takes from it in a while. */
    public static final int MAX_QUEUED = 256;
    /** Read again once the backlog has halved, so a busy link is not paused and resumed at every message. */
    static final int RESUME_AT = MAX_QUEUED / 2;

    private final AtomicInteger queued = new AtomicInteger();

    /** A message was handed to the core: whether the link should stop being read now. */
    public boolean received() {
        return queued.incrementAndGet() >= MAX_QUEUED;
    }

    /** The core handled one of the link's messages: whether a link not being read should be read again now. */
    public boolean handled() {
        return queued.decrementAndGet() <= RESUME_AT;
    }

    /** Messages handed over and not yet handled. */
    int queued() {
        return queued.get();
    }
}
