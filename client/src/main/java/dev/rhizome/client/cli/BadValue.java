package dev.rhizome.client.cli;

import dev.rhizome.ops.InvalidOptionValue;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine;

/**
 * The one way every refused option value is told (exit 2): the value, the option and the form it
 * takes, "invalid value '5x' for --duration: expected a whole number of seconds, ...". picocli's
 * own words ("Invalid value for option '--kind': expected one of [explore, evaluate]
 * (case-sensitive) but was 'foo'") differed from command to command and from the checks commands
 * make after parsing; here a converter's refusal and a command's later check read alike.
 */
public final class BadValue extends TypeConversionException {
    private final String expected;

    /** A converter's refusal: only the accepted form; the option and the value are added when it is reported. */
    public BadValue(String expected) {
        super(expected);
        this.expected = expected;
    }

    public String expected() {
        return expected;
    }

    public static String message(String option, String value, String expected) {
        return refusal(option, value, "expected " + expected);
    }

    /** A value refused for what is wrong with it ("unknown parameter 'typo'") rather than for the form it lacks. */
    public static String refusal(String option, String value, String problem) {
        return "invalid value '" + value + "' for " + option + ": " + problem;
    }

    /**
     * A value the settings of a demo or benchmark refused ({@code ops}' configs check values against
     * each other: --degree below --nodes), in the same words and with the option, as if refused while
     * parsing; any other refusal of theirs keeps its words, with no option named.
     */
    public static CommandException of(IllegalArgumentException refused) {
        if (refused instanceof InvalidOptionValue v) {
            return of(v.option(), v.value(), v.expected(), "");
        }
        return new CommandException(ExitCodes.USAGE, refused.getMessage());
    }

    /** A value a command refuses after parsing, in the same words as a converter's refusal. */
    public static CommandException of(String option, String value, String expected, String hint) {
        return CommandException.usage(option, message(option, value, expected), hint);
    }

    /**
     * The message for a value picocli could not convert, or null when {@code e} is something else:
     * the accepted form comes from the converter ({@link BadValue}), an enum's names, or picocli's
     * text after its "Invalid value for option '--x': " prefix.
     */
    public static String messageOf(CommandLine.ParameterException e) {
        if (!(e.getCause() instanceof TypeConversionException cause) || e.getArgSpec() == null) {
            return null;
        }
        CommandLine.Model.ArgSpec arg = e.getArgSpec();
        String name = arg instanceof CommandLine.Model.OptionSpec o ? o.longestName()
                : arg.paramLabel();
        String expected;
        if (cause instanceof BadValue bad) {
            expected = bad.expected();
        } else if (arg.type().isEnum()) {
            List<String> names = new ArrayList<>();
            for (Object c : arg.type().getEnumConstants()) {
                names.add(c.toString());
            }
            expected = "one of " + String.join(", ", names);
        } else {
            expected = String.valueOf(cause.getMessage());
        }
        return message(name, e.getValue() == null ? "" : e.getValue(), expected);
    }
}
