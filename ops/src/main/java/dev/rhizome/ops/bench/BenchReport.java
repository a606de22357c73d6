package dev.rhizome.ops.bench;

/** What every benchmark prints: a few lines for people and one JSON line for tools. */
public interface BenchReport {
    /** The figures for a person, ending with a newline. */
    String toText();

    /** One line of JSON with snake_case keys, the contract scripts rely on. */
    String toJson();
}
