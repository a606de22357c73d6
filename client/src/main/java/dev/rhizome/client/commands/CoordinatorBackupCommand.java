package dev.rhizome.client.commands;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.cli.BadValue;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.StoreOption;
import dev.rhizome.coordinator.store.BackupLeftovers;
import dev.rhizome.coordinator.store.PostgresAddress;
import dev.rhizome.coordinator.store.PostgresBackup;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.SqliteBackup;
import dev.rhizome.coordinator.store.SqliteStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(footerHeading = "%nExamples:%n", footer = {
            "  rhizome coordinator backup --data-dir /srv/coord --out /backups/coord.db",
            "  # a PostgreSQL store: runs PostgreSQL's pg_dump on the store's schema",
            "  rhizome coordinator backup --store postgresql://u:PW@db/rhizome --out r.dump",
            "  # add --print-command to only print that pg_dump line, to run elsewhere"},
        name = "backup", mixinStandardHelpOptions = true,
        description = {"Copy a coordinator's SQLite database (<data-dir>/coordinator.db) to FILE, whole and consistent as",
            "of one moment, while the coordinator runs or not. The copy is written beside FILE as FILE.partial and",
            "renamed into place once it is on disk: FILE is never left partial, and a FILE already there is replaced",
            "only by a whole copy. A FILE.partial a killed backup left is not a backup: the next backup to FILE deletes",
            "it first and says so (a backup to FILE under way, whose FILE.partial is locked, makes this one fail), and a",
            "coordinator refuses to start on a copy cut short. Killed backups to other names in FILE's directory (dated",
            "backups) are found too: each OTHER.partial (or OTHER.partial-journal whose OTHER.partial is gone) there is",
            "deleted when it is certainly one (its lock can be taken: a backup under way, any user's, holds an exclusive",
            "lock on its file until its rename, which a kill ends; it begins as this kind of backup does; it is this",
            "user's) and otherwise left; each is named on standard error. Restore: stop the",
            "coordinator, copy FILE to <new-data-dir>/coordinator.db and start `rhizome coordinator --data-dir",
            "<new-data-dir>`.",
            "A PostgreSQL store (--store postgresql://...) is dumped by PostgreSQL's own pg_dump (custom format, the",
            "store's schema only; one snapshot, so coordinators may keep writing), run by this command with the",
            "address's password in its environment (RHIZOME_PG_DUMP names another pg_dump than the PATH's, e.g. one",
            "as new as the server), the same FILE.partial and rename; a line on standard error every 10 s while it runs.",
            "Restore: stop the coordinators, run the printed pg_restore line (it replaces what the schema holds, in one",
            "transaction; PGPASSWORD or ~/.pgpass gives it the password), then start them.",
            "Exit 0 once FILE is whole; 1 when pg_dump is missing or fails (its words are in the error)."})
public final class CoordinatorBackupCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;

    /** `rhizome coordinator --data-dir D backup`: the directory named before the subcommand counts too. */
    @ParentCommand
    CoordinatorCommand coordinatorCommand;

    @Option(names = {"-o", "--out"}, required = true, converter = PathArguments.OutputFile.class, paramLabel = "FILE",
            description = "The backup file to write (its directory must exist).")
    Path out;

    @Option(names = "--store", paramLabel = "ADDRESS",
            description = "The coordinator's store, as given to `rhizome coordinator --store` (default sqlite).")
    String store;

    @Option(names = "--json", description = "One JSON object: file, database (the SQLite file, or the PostgreSQL "
            + "address without its password), bytes, removed_partial (the partial files of killed backups deleted "
            + "first: FILE's, and other names' in its directory), found_partial (the partial files there left in place, "
            + "each with file and why); for PostgreSQL also schema, command (the pg_dump line run, without "
            + "the password) and restore_command (the pg_restore line that restores FILE). With --print-command: "
            + "command and restore_command only.")
    boolean json;

    @Option(names = "--print-command", description = "PostgreSQL only: print the pg_dump line (and, on standard error, "
            + "the pg_restore line) instead of running it, and exit 0.")
    boolean printCommand;

    private final List<BackupLeftovers.Found> leftovers = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        // checked as `rhizome coordinator --store` checks it: a misspelt address is named, not dumped
        if (store != null && StoreOption.check(store, "--store", "--store", StoreOption.HINT)
                instanceof PostgresAddress address) {
            return postgres(address);
        }
        if (printCommand) {
            throw CommandException.usage("--print-command", "--print-command prints the pg_dump line of a PostgreSQL "
                    + "store; a SQLite store is copied by this command itself", "leave --print-command out, or pass the "
                    + "coordinator's --store postgresql://...");
        }
        Path target = out.toAbsolutePath().normalize();
        if (Files.isDirectory(target)) {
            throw BadValue.of("--out", out.toString(), "a file, not a directory", "name the backup file itself, e.g. "
                    + target.resolve("coordinator-backup.db"));
        }
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw BadValue.of("--out", out.toString(), "a file in an existing directory", "create " + parent + " first");
        }
        Path dir = !dataDir.given() && coordinatorCommand != null && coordinatorCommand.dataDir.given()
                ? coordinatorCommand.dataDir.path() : dataDir.path();
        Path database = dir.resolve(SqliteStore.FILE_NAME);
        if (!Files.isRegularFile(database)) {
            throw CommandException.usage("--data-dir", "no coordinator database in " + dir + " (no "
                    + SqliteStore.FILE_NAME + ")", "pass the coordinator's --data-dir; a coordinator on PostgreSQL is "
                    + "backed up with pg_dump: pass its --store");
        }
        if (target.equals(database.toAbsolutePath().normalize())) {
            throw BadValue.of("--out", out.toString(), "a file other than the database itself", "name another file");
        }
        long bytes;
        try {
            bytes = SqliteBackup.write(database, target, this::removedLeftover);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "failed", "backup of " + database + " to " + target
                    + " failed: " + e.getMessage(), hintFor(e, "check the disk has room for a copy and FILE's directory "
                    + "is writable"));
        }
        Output output = new Output(System.out);
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("file", target.toString());
            o.addProperty("database", database.toString());
            o.addProperty("bytes", bytes);
            o.add("removed_partial", removedJson());
            o.add("found_partial", foundJson());
            output.json(o);
        } else {
            output.line("backed up " + database + " to " + target + " (" + bytes + " bytes)");
        }
        return ExitCodes.OK;
    }

    /** What to do about a failed backup: a backup to FILE under way has its own answer. */
    private static String hintFor(IOException e, String otherwise) {
        return BackupLeftovers.isInUse(e) ? "another backup to FILE is running: let it end (or stop it), then run this "
                + "again" : otherwise;
    }

    /** Said as it goes, before the copy: a partial file is never left unexplained beside a backup. */
    private void removedLeftover(BackupLeftovers.Found found) {
        leftovers.add(found);
        if (found.removed()) {
            System.err.println("removed " + found.file() + ": " + found.why() + ", killed before its end (never a "
                    + "backup)");
        } else {
            System.err.println("found " + found.file() + ", a partial file beside the backup; " + found.why());
        }
    }

    private JsonArray removedJson() {
        JsonArray a = new JsonArray();
        leftovers.stream().filter(BackupLeftovers.Found::removed).forEach(f -> a.add(f.file().toString()));
        return a;
    }

    private JsonArray foundJson() {
        JsonArray a = new JsonArray();
        leftovers.stream().filter(f -> !f.removed()).forEach(f -> {
            JsonObject o = new JsonObject();
            o.addProperty("file", f.file().toString());
            o.addProperty("why", f.why());
            a.add(o);
        });
        return a;
    }

    /** A PostgreSQL store: pg_dump run here (or its line printed), FILE whole or absent. */
    private int postgres(PostgresAddress address) throws Exception {
        Output output = new Output(System.out);
        String command = PostgresStore.dumpCommand(address, out);
        String restore = PostgresStore.restoreCommand(address, out);
        if (printCommand) {
            if (json) {
                JsonObject o = new JsonObject();
                o.addProperty("command", command);
                o.addProperty("restore_command", restore);
                output.json(o);
            } else {
                output.line(command);
                System.err.println("restore (the coordinators stopped; it replaces schema " + address.schema()
                        + ") with: " + restore);
            }
            return ExitCodes.OK;
        }
        Path target = out.toAbsolutePath().normalize();
        if (Files.isDirectory(target)) {
            throw BadValue.of("--out", out.toString(), "a file, not a directory", "name the backup file itself, e.g. "
                    + target.resolve("coordinator-backup.dump"));
        }
        if (target.getParent() == null || !Files.isDirectory(target.getParent())) {
            throw BadValue.of("--out", out.toString(), "a file in an existing directory", "create "
                    + target.getParent() + " first");
        }
        String database = PostgresStore.redact(PostgresStore.dumpTarget(address));
        System.err.println("dumping schema " + address.schema() + " of " + database + " with "
                + PostgresBackup.program() + " to " + target);
        long started = System.nanoTime();
        long bytes;
        try {
            bytes = PostgresBackup.write(address, target, 10, written -> System.err.println("still dumping: "
                    + written + " bytes written, " + (System.nanoTime() - started) / 1_000_000_000L + " s"),
                    this::removedLeftover);
        } catch (PostgresBackup.MissingPgDump e) {
            throw new CommandException(ExitCodes.FAILED, "pg_dump_missing", "cannot back up " + database + ": "
                    + e.getMessage(), "install PostgreSQL's client tools (Debian: apt-get install postgresql-client), "
                    + "or set " + PostgresBackup.PROGRAM_VARIABLE + " to a pg_dump, or run this where pg_dump is: "
                    + command);
        } catch (PostgresBackup.DumpFailed e) {
            // pg_dump's own words say which: a version mismatch has a fix of its own
            String hint = e.getMessage().contains("version mismatch")
                    ? "this pg_dump is older than the server: install a newer one and set "
                    + PostgresBackup.PROGRAM_VARIABLE + " to it (e.g. /usr/lib/postgresql/16/bin/pg_dump)"
                    : "check the address (host, port, database, schema), its password and that FILE's directory is "
                    + "writable";
            throw new CommandException(ExitCodes.FAILED, "failed", "backup of schema " + address.schema() + " of "
                    + database + " failed: " + e.getMessage() + "; nothing was written under " + target, hint);
        } catch (IOException e) {
            if (!BackupLeftovers.isInUse(e)) {
                throw e;
            }
            throw new CommandException(ExitCodes.FAILED, "failed", "backup of schema " + address.schema() + " of "
                    + database + " to " + target + " failed: " + e.getMessage(), hintFor(e, ""));
        }
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("file", target.toString());
            o.addProperty("database", database);
            o.addProperty("bytes", bytes);
            o.addProperty("schema", address.schema());
            o.add("removed_partial", removedJson());
            o.add("found_partial", foundJson());
            o.addProperty("command", PostgresStore.dumpCommand(address, target));
            o.addProperty("restore_command", PostgresStore.restoreCommand(address, target));
            output.json(o);
        } else {
            output.line("backed up schema " + address.schema() + " of " + database + " to " + target + " (" + bytes
                    + " bytes)");
            output.line("restore (the coordinators stopped; it replaces schema " + address.schema() + ") with: "
                    + PostgresStore.restoreCommand(address, target));
        }
        return ExitCodes.OK;
    }
}
