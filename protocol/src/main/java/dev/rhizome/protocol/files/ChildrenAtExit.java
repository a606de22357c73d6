package dev.rhizome.protocol.files;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Child processes this JVM stops when it exits (System.exit, SIGTERM, Ctrl-C), with no gap between a
 * child's start and its stop being arranged. Starting a process and then adding a shutdown hook for it
 * left one: an exit that began between the two ran the hooks there were and halted, and the child
 * (pg_dump, an agent's command, a demo's node) ran on with nobody to stop it, a {@code FILE.tmp} or a
 * port held for good. Here a start and the exit take one lock: every child started is stopped by the
 * exit, and once the exit has begun no child starts.
 */
public final class ChildrenAtExit {
    private static final Object LOCK = new Object();
    private static final Set<Child> LIVE = new LinkedHashSet<>();
    private static boolean exiting;

    static {
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(ChildrenAtExit::stopAll, "children-at-exit"));
        } catch (IllegalStateException alreadyExiting) {
            exiting = true;
        }
    }

    private ChildrenAtExit() {
    }

    /** Refused: this JVM is exiting, and a child started now would outlive it. */
    public static final class Exiting extends IOException {
        Exiting(String what) {
            super("not started: this process is exiting (" + what + ")");
        }
    }

    /** A started child; {@link #close} once it has ended (or been stopped) so the exit leaves it alone. */
    public static final class Child implements AutoCloseable {
        private final Process process;
        private final Consumer<Process> stop;

        private Child(Process process, Consumer<Process> stop) {
            this.process = process;
            this.stop = stop;
        }

        public Process process() {
            return process;
        }

        @Override
        public void close() {
            synchronized (LOCK) {
                LIVE.remove(this);
            }
        }
    }

    /**
     * Starts {@code builder}'s process; if this JVM exits before {@link Child#close}, {@code stop} runs
     * on it during the exit (on a thread of its own, beside the other children's: it must bound its time).
     *
     * @throws Exiting the exit has begun: nothing was started
     */
    public static Child start(ProcessBuilder builder, Consumer<Process> stop) throws IOException {
        synchronized (LOCK) {
            if (exiting) {
                throw new Exiting(builder.command().get(0));
            }
            Child child = new Child(builder.start(), stop);
            LIVE.add(child);
            return child;
        }
    }

    /**
     * The usual stop: SIGTERM, so the child can end cleanly; after {@code graceSeconds} SIGKILL to it
     * and its descendants; then waited for (a child killed and never waited for stays a zombie where
     * nothing reaps orphans). Never throws; an interruption ends the wait early.
     */
    public static void terminate(Process process, long graceSeconds) {
        process.destroy();
        try {
            if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void stopAll() {
        List<Child> children;
        synchronized (LOCK) {
            exiting = true;
            children = List.copyOf(LIVE);
        }
        // side by side: one child's grace period is not added to the next one's
        List<Thread> stopping = new ArrayList<>();
        for (Child child : children) {
            Thread t = new Thread(() -> child.stop.accept(child.process), "stop-child-" + child.process.pid());
            t.start();
            stopping.add(t);
        }
        for (Thread t : stopping) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
