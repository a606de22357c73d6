package dev.rhizome.coordinator.store;

import java.io.IOException;

/**
 * A store address refused before anything is opened: its form, scheme or a parameter is wrong.
 * {@link #address()} is the address without its password, {@link #problem()} what is wrong with
 * it, in words that name the part at fault, so a caller can tell it as a bad option's value.
 */
public final class InvalidStoreAddress extends IOException {
    /** The form a PostgreSQL address takes, with every parameter. */
    public static final String FORM = "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
            + "[?schema=NAME&pool=N&timeout=S&read_timeout=S&migrate_timeout=S]";

    private final String address;
    private final String problem;

    InvalidStoreAddress(String address, String problem) {
        super("invalid store address " + PostgresStore.redact(address) + ": " + problem);
        this.address = PostgresStore.redact(address);
        this.problem = problem;
    }

    /** The address as given, its password replaced by {@code ***}. */
    public String address() {
        return address;
    }

    public String problem() {
        return problem;
    }
}
