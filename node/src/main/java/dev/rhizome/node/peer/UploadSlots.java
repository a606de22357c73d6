package dev.rhizome.node.peer;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The uploads a server runs at once, shared by its connections: a request past the limit is
 * answered BUSY at once rather than queued, so the asker goes to another holder instead of
 * waiting on a stall clock.
 */
final class UploadSlots {
    private final int max;
    private final AtomicInteger used = new AtomicInteger();

    UploadSlots(int max) {
        this.max = max;
    }

    boolean tryAcquire() {
        for (;;) {
            int now = used.get();
            if (now >= max) {
                return false;
            }
            if (used.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    void release() {
        used.decrementAndGet();
    }

    int inUse() {
        return used.get();
    }
}
