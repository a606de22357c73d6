package dev.rhizome.client.cli;

import dev.rhizome.ops.InvalidOptionValue;
import java.util.ArrayList;
import java.util.Collection;
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
    private final List<String> choices;

    /** A converter's refusal: only the accepted form; the option and the value are added when it is reported. */
    public BadValue(String expected) {
        this(expected, List.of());
    }

    /**
     * A converter's refusal of a value that must be one of {@code choices} (or take one's form): the
     * nearest of them is offered when it is reported.
     */
    public BadValue(String expected, Collection<String> choices) {
        super(expected);
        this.expected = expected;
        this.choices = List.copyOf(choices);
    }

    public String expected() {
        return expected;
    }

    /**
     * The names a value picocli could not convert had to be one of (a {@link BadValue}'s choices,
     * an enum's constants), or none when {@code e} is about another kind of value.
     */
    public static List<String> choicesOf(CommandLine.ParameterException e) {
        if (!(e.getCause() instanceof TypeConversionException cause) || e.getArgSpec() == null) {
            return List.of();
        }
        if (cause instanceof BadValue bad) {
            return bad.choices;
        }
        return e.getArgSpec().type().isEnum() ? enumNames(e.getArgSpec().type()) : List.of();
    }

    private static List<String> enumNames(Class<?> type) {
        List<String> names = new ArrayList<>();
        for (Object c : type.getEnumConstants()) {
            names.add(c.toString());
        }
        return names;
    }

    /**
     * A value a command refuses after parsing because it is none of {@code known}: "invalid value
     * 'tiny-ml' for --builtin: expected a built-in seed: tiny-lm, gpt-torch", the hint offering the
     * nearest ("did you mean tiny-lm? ") before {@code hint}.
     *
     * @param what what the value must be, in words ("a built-in seed")
     */
    public static CommandException choice(String option, String value, String what, Collection<String> known,
            String hint) {
        return CommandException.usage(option, message(option, value, what + ": " + String.join(", ", known)),
                Suggestions.hint(value, known, hint));
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
            expected = "one of " + String.join(", ", enumNames(arg.type()));
        } else if (arg.type() == boolean.class || arg.type() == Boolean.class) {
            expected = booleanForm(arg, name);
        } else {
            expected = String.valueOf(cause.getMessage());
        }
        return message(name, e.getValue() == null ? "" : e.getValue(), expected);
    }

    /**
     * What a true|false option takes. picocli's own words were "expected 'yes' is not a boolean",
     * said for {@code --idle-only=yes} and for every {@code idle-only=yes} of node.properties.
     */
    public static String booleanForm(CommandLine.Model.ArgSpec arg, String name) {
        return arg.arity().min() == 0 ? "true or false (or nothing: " + name + " alone is true)" : "true or false";
    }
}
