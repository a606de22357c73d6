package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.ops.audit.AuditExport;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write the coordinator's signed history (every envelope as received) and its claims "
                + "(trials, adoptions, frontiers) to a file that `rhizome verify` checks offline.",
            "Format: JSON lines, one AuditLine (api.proto) each, bytes in base64; see docs/api.md."})
public final class ExportCommand implements Callable<Integer> {
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = {"-o", "--out"}, required = true, description = "File to write (replaced atomically).")
    Path out;
    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        Output o = new Output(System.out);
        if (!json) {
            o.line("exporting the audit trail of " + coordinator.url() + " ...");
        }
        AuditExport.Summary s;
        try {
            s = AuditExport.export(URI.create(coordinator.url().endsWith("/") ? coordinator.url()
                    : coordinator.url() + "/"), out, System.currentTimeMillis());
        } catch (IOException e) {
            throw new CommandException(e instanceof java.net.ConnectException ? ExitCodes.UNREACHABLE : ExitCodes.FAILED,
                    "export failed: " + Problems.describe(e));
        } catch (IllegalArgumentException e) {
            throw new CommandException(ExitCodes.USAGE, e.getMessage());
        }
        if (json) {
            JsonObject j = new JsonObject();
            j.addProperty("file", out.toString());
            j.addProperty("envelopes", s.envelopes());
            j.addProperty("trials", s.trials());
            j.addProperty("adoptions", s.adoptions());
            j.addProperty("directions", s.directions());
            o.json(j);
        } else {
            o.line("wrote " + out + ": " + s.envelopes() + " signed envelopes, " + s.trials() + " trials, "
                    + s.adoptions() + " adoptions, " + s.directions() + " directions");
        }
        return ExitCodes.OK;
    }
}
