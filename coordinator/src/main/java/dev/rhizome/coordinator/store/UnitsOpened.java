package dev.rhizome.coordinator.store;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells who listens that committed writes may have made work claimable: a unit inserted OPEN, or
 * a unit leaving its lease (back to OPEN, or DONE: its holder's, its address's and its network's
 * lease counts went down, and an exploration's end lets its direction be explored again). Held
 * claims ({@code service.ClaimWaits}) wait on it instead of reading the store. A listener runs on
 * the committing thread, after the commit, so it must only hand the news on.
 */
public final class UnitsOpened {
    private static final Logger LOG = LoggerFactory.getLogger(UnitsOpened.class);

    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> leaseListeners = new CopyOnWriteArrayList<>();

    public void listen(Runnable listener) {
        listeners.add(listener);
    }

    /** Told of commits that only ended leases (a result): what a claim held at a lease cap waits for. */
    public void listenForLeases(Runnable listener) {
        leaseListeners.add(listener);
    }

    /** After a commit whose writes opened units (or a notice that another coordinator's did). */
    public void fire() {
        tell(listeners);
    }

    /** After a commit that ended leases and opened no unit (or a notice that another coordinator's did). */
    public void leasesEnded() {
        tell(leaseListeners);
    }

    private static void tell(List<Runnable> listeners) {
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                // the commit stands and its caller is answered whatever a listener does
                LOG.warn("a listener for opened units failed: {}", e.toString());
            }
        }
    }
}
