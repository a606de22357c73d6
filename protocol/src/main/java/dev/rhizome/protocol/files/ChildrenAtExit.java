package dev.rhizome.protocol.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Child processes this JVM stops when it exits (System.exit, SIGTERM, Ctrl-C), with no gap between a
 * child's start and its stop being arranged. Starting a process and then adding a shutdown hook for it
 * left one: an exit that began between the two ran the hooks there were and halted, and the child
 * (pg_dump, an agent's command, a demo's node) ran on with nobody to stop it, a {@code FILE.tmp} or a
 * port held for good. Here a start and the exit take one lock: every child started is stopped by the
 * exit, and once the exit has begun no child starts.
 *
 * <p>A SIGKILL runs no exit: there each child is tied to this process by Linux's parent-death signal
 * (util-linux {@code setpriv --pdeathsig KILL}), so pg_dump or an agent's command dies with a killed
 * {@code rhizome}. The signal follows the <em>thread</em> that started the child, so every child is
 * started by one thread that lives as long as the JVM; and a child whose parent died before the signal
 * was armed exits before it runs its command (a check of its parent's pid). Where setpriv is missing
 * a child is started untied, as before ({@link #tiedToParent}). Only the child itself is tied: what it
 * starts in turn is its own to stop.
 */
public final class ChildrenAtExit {
    private static final Object LOCK = new Object();
    private static final Set<Child> LIVE = new LinkedHashSet<>();
    private static boolean exiting;
    private static final Optional<Path> SETPRIV = onPath("setpriv");
    /** The one thread that starts children: a child's parent-death signal fires when its starter thread ends. */
    private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "children-spawner");
        t.setDaemon(true);
        return t;
    });
    /**
     * Run by the child between setpriv and its command: its parent (this JVM, {@code $1}) may have died
     * before the signal was armed, and then nothing would stop it.
     */
    private static final String PARENT_ALIVE = "[ \"$PPID\" = \"$1\" ] || exit 137; shift; exec \"$@\"";
    /**
     * {@link #PARENT_ALIVE} for {@link #startGroup}: this shell leads a session of its own and stays,
     * its command in the background, so the parent-death signal (SIGTERM, trapped) kills the whole group.
     */
    private static final String GROUP_LEADER = "[ \"$PPID\" = \"$1\" ] || exit 137; shift; "
            + "trap 'kill -KILL 0' TERM; \"$@\" & wait $!";
    private static final Optional<Path> SETSID = onPath("setsid");

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
            Child child = new Child(spawn(builder, false), stop);
            LIVE.add(child);
            return child;
        }
    }

    /**
     * {@link #start}, for a child whose own children must die with this process too (an agent's
     * command: a shell running a coding agent and its tools): the child runs in a session of its own
     * under a shell that kills that session's process group when this process dies. Its pid is that
     * shell's; a SIGTERM to it (Process.destroy) kills the whole group at once.
     */
    public static Child startGroup(ProcessBuilder builder, Consumer<Process> stop) throws IOException {
        synchronized (LOCK) {
            if (exiting) {
                throw new Exiting(builder.command().get(0));
            }
            Child child = new Child(spawn(builder, SETSID.isPresent()), stop);
            LIVE.add(child);
            return child;
        }
    }

    /** Whether children die with this process when it is SIGKILLed (setpriv was found). */
    public static boolean tiedToParent() {
        return SETPRIV.isPresent();
    }

    /** The command as started: {@code command} behind setpriv's parent-death signal and the parent check. */
    static List<String> tied(Path setpriv, long parentPid, List<String> command) {
        List<String> argv = new ArrayList<>(List.of(setpriv.toString(), "--pdeathsig", "KILL", "--",
                "/bin/sh", "-c", PARENT_ALIVE, "rhizome-child", Long.toString(parentPid)));
        argv.addAll(command);
        return argv;
    }

    /** {@link #tied} for a group: setsid (util-linux) makes the shell a session leader without forking. */
    static List<String> tiedGroup(Path setpriv, Path setsid, long parentPid, List<String> command) {
        List<String> argv = new ArrayList<>(List.of(setpriv.toString(), "--pdeathsig", "TERM", "--", setsid.toString(),
                "/bin/sh", "-c", GROUP_LEADER, "rhizome-child", Long.toString(parentPid)));
        argv.addAll(command);
        return argv;
    }

    private static Process spawn(ProcessBuilder builder, boolean group) throws IOException {
        List<String> command = List.copyOf(builder.command());
        if (SETPRIV.isEmpty() || !findable(command.get(0), builder)) {
            return builder.start();  // untied; a program that is missing fails here, named as the caller's
        }
        long parent = ProcessHandle.current().pid();
        builder.command(group ? tiedGroup(SETPRIV.get(), SETSID.get(), parent, command) : tied(SETPRIV.get(), parent, command));
        Future<Process> started = SPAWNER.submit(() -> {
            try {
                return builder.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    // not abandoned on an interrupt: the child may start anyway, and must then be returned
                    return started.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedIOException io) {
                // named by the caller's command, not setpriv's: "pg_dump not found" must still say pg_dump
                throw new IOException("cannot start " + command.get(0) + ": " + io.getCause().getMessage(), io.getCause());
            }
            throw new IOException("cannot start " + command.get(0), e.getCause());
        } finally {
            builder.command(command);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether the shell's {@code exec} will find {@code program}, as ProcessBuilder would. */
    private static boolean findable(String program, ProcessBuilder builder) {
        if (program.contains("/")) {
            Path path = Path.of(program);
            if (!path.isAbsolute() && builder.directory() != null) {
                path = builder.directory().toPath().resolve(path);
            }
            return Files.isExecutable(path) && !Files.isDirectory(path);
        }
        String pathVar = builder.environment().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : pathVar.split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                return true;
            }
        }
        return false;
    }

    private static Optional<Path> onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
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
