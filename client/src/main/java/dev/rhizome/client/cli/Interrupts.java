package dev.rhizome.client.cli;

import com.google.gson.JsonObject;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;
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
    private static final Object UNDO_LOCK = new Object();
    private static Undo pending;
    private static boolean undoing;
    /** Until the command line is parsed: the generic hint, and --json as typed anywhere. */
    private static volatile String hint = InterruptHints.generic(FollowUp.BARE);
    private static volatile boolean json;

    /**
     * Something a command took for its user that an interruption must give back, because the
     * user never got it: a unit the coordinator leased to `claim` before `claim` printed it; or
     * what the command did already that the user must hear of (`submit --wait`: the experiment
     * was submitted, only the wait was cut). It runs on the signal's thread and must bound its own time.
     */
    @FunctionalInterface
    public interface Undo {
        /** Gives it back; what to tell the user (a sentence, and keys for the JSON object). */
        Undone undo();
    }

    /** What an {@link Undo} did: a sentence for standard error and keys added to the interrupted object. */
    public record Undone(String sentence, JsonObject keys, String hint) {
    }

    private Interrupts() {
    }

    /**
     * Installs the handlers for this process, before its command line is parsed (a signal then
     * still answers); {@link #followParse} then tells them which command runs.
     */
    public static void install(String[] args) {
        json = Arrays.asList(args).contains("--json");
        install("INT", 130, "interrupted (Ctrl-C) before it finished");
        install("TERM", 143, "stopped by SIGTERM before it finished");
    }

    /**
     * Wrapped around the execution strategy: once picocli has parsed the command line, the hint
     * is the parsed command's and --json is the parsed option, not a guess from the line's words.
     */
    public static void followParse(CommandLine cli) {
        CommandLine.IExecutionStrategy next = cli.getExecutionStrategy();
        cli.setExecutionStrategy(parsed -> {
            hint = InterruptHints.of(parsed);
            json = asksForJson(parsed);
            return next.execute(parsed);
        });
    }

    private static boolean asksForJson(ParseResult parsed) {
        ParseResult last = parsed;
        while (last.hasSubcommand()) {
            last = last.subcommand();
        }
        return last.hasMatchedOption("--json") && Boolean.TRUE.equals(last.matchedOptionValue("--json", false));
    }

    private static void install(String name, int exitCode, String message) {
        try {
            Signal.handle(new Signal(name), signal -> {
                // FINISHED: an answer already printed is never followed by an error object
                if (!quiet && FINISHED.compareAndSet(false, true)) {
                    Undone undone = undoPending();
                    String said = undone == null ? message : message + "; " + undone.sentence();
                    String next = undone != null ? undone.hint() : Interrupts.hint;
                    // the hint on standard error too, as every other failure's line has it
                    System.err.println("rhizome: " + said + " (" + next + ")");
                    System.err.flush();
                    if (Interrupts.json) {
                        JsonObject o = ErrorFields.put(new JsonObject(), ERROR, said, next);
                        if (undone != null) {
                            undone.keys().entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
                        }
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

    /**
     * Registers what to give back if a signal comes before {@link #handedOver()}; replaces any
     * earlier one. A second signal while it runs exits at once (the JVM's exit, no answer).
     */
    public static void undoIfInterrupted(Undo undo) {
        synchronized (UNDO_LOCK) {
            pending = undo;
        }
    }

    /**
     * The command is about to hand its answer over (print it): from now on an interruption gives
     * nothing back. If a signal is already giving it back, this never returns: the process is
     * exiting with the interrupted answer, and printing this one too would contradict it.
     */
    public static void handedOver() {
        synchronized (UNDO_LOCK) {
            while (undoing) {
                try {
                    UNDO_LOCK.wait();
                } catch (InterruptedException ignored) {
                    // still exiting: keep waiting for it
                }
            }
            pending = null;
        }
    }

    private static Undone undoPending() {
        Undo undo;
        synchronized (UNDO_LOCK) {
            undo = pending;
            pending = null;
            undoing = undo != null;  // never cleared: System.exit follows
        }
        if (undo == null) {
            return null;
        }
        try {
            return undo.undo();
        } catch (RuntimeException e) {
            return new Undone("and what it had taken could not be given back: " + Problems.describe(e),
                    new JsonObject(), "run the command again");
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
