package dev.rhizome.client.cli;

/** Ends a command with a message for the user and an exit code from {@link ExitCodes}. */
public final class CommandException extends RuntimeException {
    private final int exitCode;

    public CommandException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
