package dev.rhizome.coordinator.store;

import java.io.IOException;
import java.util.List;

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
    private final String word;
    private final List<String> choices;

    InvalidStoreAddress(String address, String problem) {
        this(address, problem, "", List.of());
    }

    /** A part of the address ({@code word}: a kind, a parameter's name) that is none of {@code choices}. */
    InvalidStoreAddress(String address, String problem, String word, List<String> choices) {
        super("invalid store address " + PostgresStore.redact(address) + ": " + problem);
        this.address = PostgresStore.redact(address);
        this.problem = problem;
        this.word = word;
        this.choices = List.copyOf(choices);
    }

    /** The part at fault when it had to be one of {@link #choices()} (a kind, a parameter's name); "" otherwise. */
    public String word() {
        return word;
    }

    /** What {@link #word()} could have been, so a caller can offer the nearest; empty when the problem is another. */
    public List<String> choices() {
        return choices;
    }

    /** The address as given, its password replaced by {@code ***}. */
    public String address() {
        return address;
    }

    public String problem() {
        return problem;
    }
}
