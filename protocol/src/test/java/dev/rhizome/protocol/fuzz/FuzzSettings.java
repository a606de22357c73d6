package dev.rhizome.protocol.fuzz;

/** How long each harness fuzzes under -Pfuzz (regression runs in every build ignore it). */
public final class FuzzSettings {
    public static final String MAX_DURATION = "2m";

    private FuzzSettings() {
    }
}
