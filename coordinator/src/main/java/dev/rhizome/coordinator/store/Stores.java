package dev.rhizome.coordinator.store;

import java.io.IOException;
import java.nio.file.Path;

/** Opens the store a coordinator is configured with. */
public final class Stores {
    private Stores() {
    }

    /**
     * @param address empty or {@code sqlite} for the embedded store in {@code dataDir};
     *                {@code postgresql://...} for a shared PostgreSQL database; one that does not
     *                answer yet (down, starting) is waited for in the background ({@link AwaitedStore})
     */
    public static Store open(String address, Path dataDir, SqliteStore.CommitListener listener) throws IOException {
        if (address.isEmpty() || address.equals("sqlite")) {
            return SqliteStore.open(dataDir, listener);
        }
        if (PostgresStore.handles(address)) {
            try {
                return PostgresStore.open(address);
            } catch (IOException e) {
                if (!StoreException.isUnavailable(e)) {
                    throw e;  // a wrong address, password or database: waiting will not cure it
                }
                return new AwaitedStore(PostgresStore.redact(address), () -> PostgresStore.open(address), e);
            }
        }
        throw new IOException("unknown store '" + PostgresStore.redact(address)
                + "': use sqlite (the default) or postgresql://USER:PASSWORD@HOST:PORT/DATABASE");
    }
}
