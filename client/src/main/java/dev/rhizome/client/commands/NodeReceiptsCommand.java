package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.work.ReceiptBook;
import dev.rhizome.ops.audit.ReceiptFiles;
import dev.rhizome.proto.v1.KeptReceipt;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "receipts", mixinStandardHelpOptions = true,
        description = {"Write the coordinator's signed receipts for this node's results (each beside the result it "
                + "names) to a file that `rhizome verify EXPORT --receipts FILE` checks against an export.",
            "Format: JSON lines, one KeptReceipt (api.proto) each, bytes in base64. Reads the data directory only; "
                + "the node may be running."})
public final class NodeReceiptsCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Option(names = {"-o", "--out"}, required = true, converter = PathArguments.OutputFile.class,
            description = "File to write (replaced atomically).", paramLabel = "FILE")
    Path out;
    @Option(names = "--json", description = "Print one JSON object: file, receipts (how many were written), data_dir.")
    boolean json;

    @Override
    public Integer call() {
        Path dir = dataDir.path();
        List<KeptReceipt> kept;
        try {
            kept = new ReceiptBook(new NodeLayout(dir).receipts()).all();
            ReceiptFiles.write(out, kept);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "failed", "receipts failed: " + Problems.describe(e),
                    "check that --out names a file you can write and --data-dir the node's directory");
        }
        Output o = new Output(System.out);
        if (json) {
            JsonObject j = new JsonObject();
            j.addProperty("file", out.toString());
            j.addProperty("receipts", kept.size());
            j.addProperty("data_dir", dir.toString());
            o.json(j);
        } else {
            o.line("wrote " + out + ": " + kept.size() + " receipt(s) from " + dir
                    + (kept.isEmpty() ? " (none yet: a node keeps one for each result its coordinator stored)" : ""));
        }
        return ExitCodes.OK;
    }
}
