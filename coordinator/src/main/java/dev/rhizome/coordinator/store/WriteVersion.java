package dev.rhizome.coordinator.store;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The count of write transactions this process has ended ({@link Store#writeVersion}), moved by the
 * store after each commit and after each failed one (whose outcome may be a commit), always before
 * the transaction's caller hears of it. A reader that takes the version before its snapshot knows
 * that what it builds holds every write acknowledged before; an equal version later means no write
 * of this process was acknowledged since. It says nothing of other processes' writes.
 */
public final class WriteVersion {
    /** A store that keeps no version: what is read from it is never shared. */
    public static final long NONE = -1;

    private final AtomicLong ended = new AtomicLong();

    /** After a write transaction's commit, or its failure: before its caller is answered. */
    void moved() {
        ended.incrementAndGet();
    }

    long now() {
        return ended.get();
    }
}
