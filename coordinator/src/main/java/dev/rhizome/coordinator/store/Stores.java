package dev.rhizome.coordinator.store;

import java.io.IOException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;

/** Opens the store a coordinator is configured with. */
public final class Stores {
    /**
     * The longest a database that was down at the start and then answers waits for the next attempt
     * to open it ({@link AwaitedStore}'s backoff, 1 s doubling to this).
     */
    public static final Duration LONGEST_OPEN_RETRY = Duration.ofMillis(AwaitedStore.LONGEST_WAIT_MS);

    private Stores() {
    }

    /**
     * @param address empty or {@code sqlite} for the embedded store in {@code dataDir};
     *                {@code postgresql://...} for a shared PostgreSQL database; one that does not
     *                answer yet (down, starting) is waited for in the background ({@link AwaitedStore});
     *                one whose host name does not resolve is refused ({@link UnresolvableStoreHost}),
     *                and so is one that answers and refuses ({@link RefusedStore})
     */
    public static Store open(String address, Path dataDir, SqliteStore.CommitListener listener) throws IOException {
        StoreAddress parsed = StoreAddress.parse(address);
        if (parsed instanceof PostgresAddress at) {
            try {
                return PostgresStore.open(at, address);
            } catch (IOException e) {
                if (!StoreException.isUnavailable(e)) {
                    // a wrong password or database: waiting will not cure it
                    throw e instanceof UnresolvableStoreHost ? e : new RefusedStore(e);
                }
                if (unresolved(e)) {
                    // a name that does not resolve at start is a wrong address: waiting for it
                    // logged a retry every 30 s and answered 503 for good
                    throw new UnresolvableStoreHost(PostgresStore.redact(address), at.host(), e);
                }
                return new AwaitedStore(PostgresStore.redact(address), () -> PostgresStore.open(at, address), e);
            }
        }
        return SqliteStore.open(dataDir, listener);
    }

    private static boolean unresolved(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof UnknownHostException) {
                return true;
            }
        }
        return false;
    }
}
