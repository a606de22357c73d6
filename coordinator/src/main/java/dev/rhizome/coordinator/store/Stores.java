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
        StoreAddress parsed = StoreAddress.parse(address);
        if (parsed instanceof PostgresAddress at) {
            try {
                return PostgresStore.open(at, address);
            } catch (IOException e) {
                if (!StoreException.isUnavailable(e)) {
                    throw e;  // a wrong password or database: waiting will not cure it
                }
                return new AwaitedStore(PostgresStore.redact(address), () -> PostgresStore.open(at, address), e);
            }
        }
        return SqliteStore.open(dataDir, listener);
    }
}
