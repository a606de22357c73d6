package dev.rhizome.client.commands;

import dev.rhizome.coordinator.store.InvalidStoreAddress;
import dev.rhizome.coordinator.store.PostgresAddress;
import dev.rhizome.coordinator.store.PostgresStore;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fresh schema `bench coordinator --store postgresql://...` makes, dropped when the benchmark
 * ends, fails or is interrupted (Ctrl-C, SIGTERM: the signal's exit runs the shutdown hook): each
 * run left a {@code bench_*} schema full of tables in the operator's database. A schema that
 * cannot be dropped (the database gone) is named on standard error with the statement to drop it.
 */
final class BenchSchema implements AutoCloseable {
    /** How long the drop waits for a table's lock (the benchmark's coordinator still closing). */
    private static final int LOCK_WAIT_SECONDS = 10;

    private final PostgresAddress at;
    private final AtomicBoolean dropped = new AtomicBoolean();
    private final Thread hook;

    private BenchSchema(PostgresAddress at) {
        this.at = at;
        this.hook = at == null ? null : new Thread(this::drop, "bench-schema-drop");
        if (hook != null) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
    }

    /** For the benchmark's store address: nothing to drop for SQLite (empty or {@code sqlite}). */
    static BenchSchema of(String address) throws InvalidStoreAddress {
        return new BenchSchema(PostgresStore.handles(address) ? PostgresAddress.parse(address) : null);
    }

    private void drop() {
        if (at == null || !dropped.compareAndSet(false, true)) {
            return;
        }
        try {
            PostgresStore.dropSchema(at, LOCK_WAIT_SECONDS);
        } catch (IOException e) {
            System.err.println("rhizome: the benchmark's schema " + at.schema() + " was left in the database: "
                    + e.getMessage() + "; drop it with `DROP SCHEMA " + at.schema() + " CASCADE`");
        }
    }

    @Override
    public void close() {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            return;  // the hook is dropping it
        }
        drop();
    }
}
