package dev.rhizome.coordinator.store;

import java.net.SocketTimeoutException;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * Whether the store is refusing work for a reason outside any request: its disk is full, or its
 * database cannot be reached. Every request meanwhile is answered 503 and logged as a refusal;
 * the operator is told once, with the reason, when it starts, and once when it is over (the
 * store takes work again by itself, no restart). {@link #now()} is what {@code /healthz} reports.
 */
final class StoreOutage {
    private final Logger log;
    private final String store;
    private volatile String reason;  // null while the store works

    StoreOutage(Logger log, String store) {
        this.log = log;
        this.store = store;
    }

    /** Notes a failed transaction; only an outage (a full disk, an unreachable database) counts. */
    void failed(Throwable failure) {
        String why = StoreException.isDiskFull(failure) ? "its disk is full"
                : !StoreException.isUnavailable(failure) ? null
                : hung(failure) ? "the database does not answer (it hangs, or the network to it drops packets)"
                : "the database cannot be reached";
        if (why == null) {
            return;
        }
        synchronized (this) {
            if (reason == null) {
                reason = why;
                log.error("{}: {} ({}); requests are refused (503) until it is back, then taken again without a restart",
                        store, why, failure.getMessage());
            }
        }
    }

    /** A wait that ran out (a read of the connection, or a free connection), rather than a refusal. */
    private static boolean hung(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException || t instanceof java.sql.SQLTransientConnectionException) {
                return true;
            }
        }
        return false;
    }

    /** Notes a transaction that committed (or a read that was answered): whatever was wrong is over. */
    void succeeded() {
        if (reason != null) {
            synchronized (this) {
                if (reason != null) {
                    log.info("{}: works again ({} no longer)", store, reason);
                    reason = null;
                }
            }
        }
    }

    /** What is wrong now, if anything. */
    Optional<String> now() {
        String why = reason;
        return why == null ? Optional.empty() : Optional.of(store + ": " + why);
    }
}
