package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.BadValue;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.StoreOption;
import dev.rhizome.coordinator.store.PostgresAddress;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.SqliteBackup;
import dev.rhizome.coordinator.store.SqliteStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(footerHeading = "%nExamples:%n", footer = {
            "  rhizome coordinator backup --data-dir /srv/coord --out /backups/coord.db",
            "  # a PostgreSQL store: prints the pg_dump line to run",
            "  rhizome coordinator backup --store postgresql://... --out rhizome.dump"},
        name = "backup", mixinStandardHelpOptions = true,
        description = {"Copy a coordinator's SQLite database (<data-dir>/coordinator.db) to FILE, whole and consistent as",
            "of one moment, while the coordinator runs or not. The copy is written beside FILE as FILE.tmp and renamed",
            "into place once it is on disk: FILE is never left partial, and a FILE already there is replaced only by a",
            "whole copy. Restore: stop the coordinator, copy FILE to <new-data-dir>/coordinator.db and start",
            "`rhizome coordinator --data-dir <new-data-dir>`. A PostgreSQL store (--store postgresql://...) is backed up",
            "by pg_dump: the command says the exact line."})
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

    @Option(names = "--json", description = "One JSON object: file, database, bytes.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        // checked as `rhizome coordinator --store` checks it: a misspelt address is named, not dumped
        if (store != null && StoreOption.check(store, "--store", "--store", StoreOption.HINT)
                instanceof PostgresAddress address) {
            throw CommandException.usage("--store", "a PostgreSQL store is backed up by PostgreSQL's own pg_dump, not by "
                    + "rhizome", "run: " + PostgresStore.dumpCommand(address, out) + " (the password from PGPASSWORD or "
                    + "~/.pgpass); restore into an empty database with: pg_restore --dbname ADDRESS FILE");
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
                    + "backed up with pg_dump (pass its --store to see the command)");
        }
        if (target.equals(database.toAbsolutePath().normalize())) {
            throw BadValue.of("--out", out.toString(), "a file other than the database itself", "name another file");
        }
        long bytes;
        try {
            bytes = SqliteBackup.write(database, target);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "failed", "backup of " + database + " to " + target
                    + " failed: " + e.getMessage(), "check the disk has room for a copy and FILE's directory is writable");
        }
        Output output = new Output(System.out);
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("file", target.toString());
            o.addProperty("database", database.toString());
            o.addProperty("bytes", bytes);
            output.json(o);
        } else {
            output.line("backed up " + database + " to " + target + " (" + bytes + " bytes)");
        }
        return ExitCodes.OK;
    }
}
