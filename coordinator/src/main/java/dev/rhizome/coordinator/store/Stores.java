package dev.rhizome.coordinator.store;

import java.io.IOException;
import java.nio.file.Path;

/** Opens the store a coordinator is configured with. */
public final class Stores {
    private Stores() {
    }

    /**
     * @param address empty or {@code sqlite} for the embedded store in {@code dataDir};
     *                {@code postgresql://...} for a shared PostgreSQL database
     */
    public static Store open(String address, Path dataDir, SqliteStore.CommitListener listener) throws IOException {
        if (address.isEmpty() || address.equals("sqlite")) {
            return SqliteStore.open(dataDir, listener);
        }
        if (PostgresStore.handles(address)) {
            return PostgresStore.open(address);
        }
        throw new IOException("unknown store '" + PostgresStore.redact(address)
                + "': use sqlite (the default) or postgresql://USER:PASSWORD@HOST:PORT/DATABASE");
    }
}
