package dev.rhizome.coordinator.store;

import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.files.ChildrenAtExit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A backup of a PostgreSQL store's schema by PostgreSQL's own {@code pg_dump} (custom format, which
 * {@code pg_restore} reads back): pg_dump reads one snapshot of the database in a repeatable-read
 * transaction, so coordinators may go on writing while it runs, and every result acknowledged before
 * it started is in the copy. It writes to a sibling of the target ({@code <target>.partial}), forced
 * to disk and renamed into place, as {@link SqliteBackup} does: a failed or killed dump never leaves a
 * partial file under the target's name; the partial one, given to the printed restore line anyway,
 * ends that pg_restore with an error at its cut, and the line's one transaction changes nothing.
 *
 * <p>The password travels to pg_dump in its environment ({@code PGPASSWORD}), never on its command
 * line, where any user of the machine could read it; an address without one leaves pg_dump to
 * {@code PGPASSWORD} or {@code ~/.pgpass} as usual.
 */
public final class PostgresBackup {
    /** The program run; {@code RHIZOME_PG_DUMP} names another (a pg_dump as new as the server). */
    public static final String PROGRAM_VARIABLE = "RHIZOME_PG_DUMP";

    private PostgresBackup() {
    }

    /** pg_dump is not installed here (not on the PATH, nor where {@value #PROGRAM_VARIABLE} says). */
    public static final class MissingPgDump extends IOException {
        MissingPgDump(String program, IOException cause) {
            super(program + " could not be started (" + cause.getMessage() + ")", cause);
        }
    }

    /** pg_dump ran and failed; the message holds the last of what it said. */
    public static final class DumpFailed extends IOException {
        DumpFailed(String message) {
            super(message);
        }
    }

    /** The program this machine runs as pg_dump. */
    public static String program() {
        String named = System.getenv(PROGRAM_VARIABLE);
        return named == null || named.isBlank() ? "pg_dump" : named;
    }

    /** pg_dump's arguments for {@code address}'s schema into {@code out}, the password left out. */
    public static List<String> arguments(PostgresAddress address, Path out) {
        List<String> args = new ArrayList<>();
        args.add(program());
        args.add("--no-password");  // a prompt on the terminal would hang a script: fail instead, saying so
        args.add("--format=custom");
        args.add("--schema=" + address.schema());
        args.add("--file=" + out);
        args.add(PostgresStore.dumpTarget(address));
        return args;
    }

    /**
     * Dumps {@code address}'s schema to {@code target}.
     *
     * @param progress told once every {@code everySeconds} while pg_dump runs, with the bytes written so far
     * @return the copy's size in bytes
     */
    public static long write(PostgresAddress address, Path target, long everySeconds, Consumer<Long> progress)
            throws IOException, InterruptedException {
        return write(address, target, everySeconds, progress, removed -> { });
    }

    /**
     * As above, telling {@code leftovers} each file killed backups left in the target's directory, as
     * {@link SqliteBackup#write(Path, Path, Consumer)} does (pg_dump's partial files here).
     */
    public static long write(PostgresAddress address, Path target, long everySeconds, Consumer<Long> progress,
            Consumer<BackupLeftovers.Found> leftovers) throws IOException, InterruptedException {
        try (BackupPartial partial = BackupLeftovers.claim(target, BackupLeftovers.Kind.POSTGRES, leftovers)) {
            CrashPoints.at(CrashPoints.BACKUP_STARTED);
            Path tmp = partial.file();
            ProcessBuilder builder = new ProcessBuilder(arguments(address, tmp)).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            if (address.password() != null) {
                builder.environment().put("PGPASSWORD", address.password());
            }
            // a database that does not answer is named after the store's own timeout, not TCP's minutes
            builder.environment().put("PGCONNECT_TIMEOUT", String.valueOf(Math.max(2, address.timeoutSeconds())));
            // pg_dump is a process of its own: a SIGTERM of ours (System.exit) left it running, holding its
            // snapshot open for the rest of the dump and then leaving a whole FILE.partial nobody renames
            ChildrenAtExit.Child child;
            try {
                child = ChildrenAtExit.start(builder, process -> stopAtExit(process, partial));
            } catch (ChildrenAtExit.Exiting e) {
                throw e;
            } catch (IOException e) {
                throw new MissingPgDump(builder.command().get(0), e);
            }
            // pg_dump truncates and writes the locked file: its descriptor is its own process's, whose
            // close leaves this process's lock in place
            try (child) {
                return waitAndKeep(child.process(), partial, address, target, everySeconds, progress);
            }
        }
    }

    /** At this process's exit while pg_dump runs: pg_dump stopped (SIGTERM, then SIGKILL) and its file deleted. */
    private static void stopAtExit(Process process, BackupPartial partial) {
        ChildrenAtExit.terminate(process, 5);
        partial.discard();
    }

    private static long waitAndKeep(Process process, BackupPartial partial, PostgresAddress address, Path target,
            long everySeconds, Consumer<Long> progress) throws IOException, InterruptedException {
        Path tmp = partial.file();
        List<String> said = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    synchronized (said) {
                        said.add(line);
                        if (said.size() > 20) {
                            said.remove(0);
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process ended; what it said so far is kept
            }
        }, "pg_dump-output");
        reader.setDaemon(true);
        reader.start();
        try {
            while (!process.waitFor(everySeconds, TimeUnit.SECONDS)) {
                progress.accept(Files.exists(tmp) ? Files.size(tmp) : 0L);
            }
        } catch (InterruptedException e) {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
            throw e;  // the partial file goes as the backup's claim closes
        }
        reader.join(5_000);
        int code = process.exitValue();
        if (code != 0 || !Files.isRegularFile(tmp)) {
            String output;
            synchronized (said) {
                output = String.join("\n", said).strip();
            }
            if (address.password() != null && !address.password().isEmpty()) {
                output = output.replace(address.password(), "***");
            }
            throw new DumpFailed("pg_dump ended with exit status " + code
                    + (output.isEmpty() ? "" : ": " + output));
        }
        return partial.keepAs(target);  // forced there: pg_dump closes its file without forcing it
    }
}
