package dev.rhizome.client.cli;

import com.google.gson.JsonObject;

/**
 * Ends a command with a message for the user and an exit code from {@link ExitCodes}; with
 * {@code --json} it becomes one object {@code {"error", "message", "hint", "option"}} on standard
 * output (see {@link ErrorReporter}). {@code error} is a stable snake_case name agents can branch
 * on; {@code option} names the option (as typed: {@code --lease-seconds}) whose value or absence
 * is the problem, or is null, so an agent fixes that option without parsing the message.
 */
public final class CommandException extends RuntimeException {
    private final int exitCode;
    private final String error;
    private final String hint;
    private final String option;
    private final JsonObject keys;

    public CommandException(int exitCode, String message) {
        this(exitCode, ExitCodes.name(exitCode), message, "");
    }

    public CommandException(int exitCode, String error, String message, String hint) {
        this(exitCode, error, message, hint, null);
    }

    public CommandException(int exitCode, String error, String message, String hint, String option) {
        this(exitCode, error, message, hint, option, new JsonObject());
    }

    private CommandException(int exitCode, String error, String message, String hint, String option, JsonObject keys) {
        super(message);
        this.exitCode = exitCode;
        this.error = error;
        this.hint = hint == null ? "" : hint;
        this.option = option;
        this.keys = keys;
    }

    /** A bad argument (exit 2, {@code usage}) that one option's value or absence is. */
    public static CommandException usage(String option, String message, String hint) {
        return new CommandException(ExitCodes.USAGE, "usage", message, hint, option);
    }

    public int exitCode() {
        return exitCode;
    }

    public String error() {
        return error;
    }

    public String hint() {
        return hint;
    }

    /** The option at fault ({@code --unit}), or null when the failure is not one option's. */
    public String option() {
        return option;
    }

    /**
     * Keys the {@code --json} error object carries besides the four of every error, about what the
     * failure left behind (`claim`'s {@code unit_id} and {@code given_back}, as its interrupted
     * object has them); a copy, empty for most failures.
     */
    public JsonObject keys() {
        return keys.deepCopy();
    }

    /** The same failure, about {@code newOption}. */
    public CommandException withOption(String newOption) {
        return new CommandException(exitCode, error, getMessage(), hint, newOption, keys);
    }

    /** The same failure with another hint. */
    public CommandException withHint(String newHint) {
        return new CommandException(exitCode, error, getMessage(), newHint, option, keys);
    }

    /** The same failure, its object carrying {@code moreKeys} too (its message as it was). */
    public CommandException withKeys(JsonObject moreKeys) {
        JsonObject all = keys.deepCopy();
        moreKeys.entrySet().forEach(e -> all.add(e.getKey(), e.getValue()));
        return new CommandException(exitCode, error, getMessage(), hint, option, all);
    }

    /**
     * The same failure, its message followed by {@code sentence} (what was done about it) and its
     * object by {@code moreKeys}: an agent reads what happened to what the command had taken
     * from the keys, a person from the message.
     */
    public CommandException with(String sentence, JsonObject moreKeys) {
        JsonObject all = keys.deepCopy();
        moreKeys.entrySet().forEach(e -> all.add(e.getKey(), e.getValue()));
        return new CommandException(exitCode, error, getMessage() + "; " + sentence, hint, option, all);
    }
}
