package dev.rhizome.ops;

/**
 * A value a demo's or benchmark's settings refuse, named by the command-line option it came from,
 * so the `rhizome` command tells it as it tells a value refused while parsing ("invalid value '9'
 * for --degree: expected ..."), with the option in its error object: each config said it in its
 * own words, and the client could not tell which option was at fault.
 */
public final class InvalidOptionValue extends IllegalArgumentException {
    private final String option;
    private final String value;
    private final String expected;

    public InvalidOptionValue(String option, Object value, String expected) {
        super("invalid value '" + value + "' for " + option + ": expected " + expected);
        this.option = option;
        this.value = String.valueOf(value);
        this.expected = expected;
    }

    /** The option as typed: {@code --degree}. */
    public String option() {
        return option;
    }

    public String value() {
        return value;
    }

    public String expected() {
        return expected;
    }
}
