package dev.rhizome.client.cli;

/**
 * Ends a command with a message for the user and an exit code from {@link ExitCodes}; with
 * {@code --json} it becomes one object {@code {"error", "message", "hint"}} on standard output
 * (see {@link ErrorReporter}). {@code error} is a stable snake_case name agents can branch on.
 */
public final class CommandException extends RuntimeException {
    private final int exitCode;
    private final String error;
    private final String hint;

    public CommandException(int exitCode, String message) {
        this(exitCode, ExitCodes.name(exitCode), message, "");
    }

    public CommandException(int exitCode, String error, String message, String hint) {
        super(message);
        this.exitCode = exitCode;
        this.error = error;
        this.hint = hint == null ? "" : hint;
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
}
