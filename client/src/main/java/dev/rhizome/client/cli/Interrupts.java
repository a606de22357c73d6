package dev.rhizome.client.cli;

import com.google.gson.JsonObject;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/**
 * What Ctrl-C (SIGINT) or SIGTERM does to a command that gives an answer (claim, wait, submit,
 * agent...): without this the JVM exited 130 or 143 in silence, so an agent asking for --json got
 * an empty standard output, not the one error object every other failure gives. Installed once for
 * every command; services (coordinator, node) install their own stop handlers over it
 * ({@link StopSignals}, or {@link #quiet()}) because stopping is how they end.
 */
public final class Interrupts {
    /** The error value, for scripts that tell an interrupted command from a failed one. */
    public static final String ERROR = "interrupted";

    private static final AtomicBoolean FINISHED = new AtomicBoolean();
    private static volatile boolean quiet;

    private Interrupts() {
    }

    /** Installs the handlers for this process; {@code args} tell whether --json was asked for. */
    public static void install(String[] args) {
        boolean json = Arrays.asList(args).contains("--json");
        install("INT", 130, "interrupted (Ctrl-C) before it finished", json);
        install("TERM", 143, "stopped by SIGTERM before it finished", json);
    }

    private static void install(String name, int exitCode, String message, boolean json) {
        try {
            Signal.handle(new Signal(name), signal -> {
                // FINISHED: an answer already printed is never followed by an error object
                if (!quiet && FINISHED.compareAndSet(false, true)) {
                    System.err.println("rhizome: " + message);
                    System.err.flush();
                    if (json) {
                        JsonObject o = new JsonObject();
                        o.addProperty("error", ERROR);
                        o.addProperty("message", message);
                        o.addProperty("hint", "run the command again; `rhizome claim` leases and experiments "
                                + "already sent stay with the coordinator (`rhizome brief`, `rhizome wait` show them)");
                        new Output(System.out).json(o);
                        System.out.flush();
                    }
                }
                // the JVM's own exit status for the signal, and its shutdown hooks (children closed)
                System.exit(exitCode);
            });
        } catch (IllegalArgumentException | IllegalStateException unsupported) {
            // no such signal here, or it is ignored (a background job of a non-interactive shell):
            // the JVM's default handling stays
        }
    }

    /** For a service whose normal end is a signal: it exits as before, without the error line. */
    public static void quiet() {
        quiet = true;
    }

    /** Called once the command has returned: a signal now is no longer an interruption of it. */
    public static void finished() {
        FINISHED.set(true);
    }
}
