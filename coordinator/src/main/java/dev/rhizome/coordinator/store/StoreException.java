package dev.rhizome.coordinator.store;

/** The database failed; the transaction in progress was rolled back. */
public final class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
