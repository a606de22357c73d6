package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.ops.audit.AuditExport;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
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
    @Option(names = {"-o", "--out"}, required = true, converter = PathArguments.OutputFile.class, description = "File to write (replaced atomically).", paramLabel = "FILE")
    Path out;
    @Option(names = "--json", description = "Print one JSON object: file, envelopes, trials, adoptions, directions, confirmations_unavailable (the coordinator served no /v1/confirmations: an older one; exported without them).")
    boolean json;

    /** The envelopes written so far, on standard error at most once a second: a long trail takes minutes. */
    private static AuditExport.Progress everySecond() {
        long[] shownAt = {System.nanoTime()};
        return count -> {
            long now = System.nanoTime();
            if (now - shownAt[0] >= 1_000_000_000L) {
                shownAt[0] = now;
                System.err.println("  " + count + " signed envelopes written ...");
            }
        };
    }

    @Override
    public Integer call() {
        Output o = new Output(System.out);
        URI base = URI.create(coordinator.uri() + "/");
        // progress goes to standard error: standard output holds the answer alone
        System.err.println("exporting the audit trail of " + base + " ...");
        AuditExport.Summary s;
        try {
            // a page refused 429 for the read budget waits its Retry-After, said as every read command says it
            s = AuditExport.export(base, out, System.currentTimeMillis(), everySecond(), Coordinators::sayReadWait);
        } catch (AuditExport.NotACoordinatorException e) {
            throw new CommandException(ExitCodes.UNREACHABLE, "unreachable", "export failed: " + e.getMessage(),
                    "pass the coordinator's URL with --coordinator (or set RHIZOME_COORDINATOR)");
        } catch (HttpTimeoutException e) {
            throw new CommandException(ExitCodes.UNREACHABLE, "unreachable", "export failed: coordinator at " + base
                    + " is unreachable: " + CoordinatorClient.describe(e), "retry, or check the --coordinator URL");
        } catch (ConnectException | ClosedChannelException e) {
            throw new CommandException(ExitCodes.UNREACHABLE, "unreachable", "export failed: coordinator at " + base
                    + " is unreachable: " + CoordinatorClient.describe(e),
                    "start the coordinator or pass --coordinator URL (or set RHIZOME_COORDINATOR)");
        } catch (IOException e) {
            if (e.getCause() instanceof ConnectException || e.getCause() instanceof ClosedChannelException) {
                throw new CommandException(ExitCodes.UNREACHABLE, "unreachable", "export failed: coordinator at " + base
                        + " is unreachable: " + CoordinatorClient.describe(e),
                        "start the coordinator or pass --coordinator URL (or set RHIZOME_COORDINATOR)");
            }
            throw new CommandException(ExitCodes.FAILED, "failed", "export failed: " + Problems.describe(e),
                    "check that --out names a file you can write, and retry");
        } catch (IllegalArgumentException e) {
            throw new CommandException(ExitCodes.USAGE, e.getMessage());
        }
        if (s.confirmationsUnavailable()) {
            // to standard error, as the progress: the file's header says the same for `rhizome verify`
            System.err.println("note: " + base + " serves no /v1/confirmations (a coordinator older than the "
                    + "confirmation stage): exported without confirmations; `rhizome verify` will re-derive "
                    + "adoptions at their trial seeds only and say so");
        }
        if (json) {
            JsonObject j = new JsonObject();
            j.addProperty("file", out.toString());
            j.addProperty("envelopes", s.envelopes());
            j.addProperty("trials", s.trials());
            j.addProperty("adoptions", s.adoptions());
            j.addProperty("directions", s.directions());
            j.addProperty("confirmations_unavailable", s.confirmationsUnavailable());
            o.json(j);
        } else {
            o.line("wrote " + out + ": " + s.envelopes() + " signed envelopes, " + s.trials() + " trials, "
                    + s.adoptions() + " adoptions, " + s.directions() + " directions");
        }
        return ExitCodes.OK;
    }
}
