package dev.rhizome.client.cli;

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

    public CommandException(int exitCode, String message) {
        this(exitCode, ExitCodes.name(exitCode), message, "");
    }

    public CommandException(int exitCode, String error, String message, String hint) {
        this(exitCode, error, message, hint, null);
    }

    public CommandException(int exitCode, String error, String message, String hint, String option) {
        super(message);
        this.exitCode = exitCode;
        this.error = error;
        this.hint = hint == null ? "" : hint;
        this.option = option;
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

    /** The same failure with another hint. */
    public CommandException withHint(String newHint) {
        return new CommandException(exitCode, error, getMessage(), newHint, option);
    }
}
