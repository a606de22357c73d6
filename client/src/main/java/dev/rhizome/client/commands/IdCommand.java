package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.protocol.identity.Identity;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "id", mixinStandardHelpOptions = true,
        description = "Print this data directory's public id (the key is created on first use).")
public final class IdCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;

    @Option(names = "--json", description = "Print one JSON object: id, data_dir.")
    boolean json;

    @Override
    public Integer call() {
        Identity identity = Coordinators.identity(dataDir.path());
        Output out = new Output(System.out);
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("id", identity.publicId().toString());
            o.addProperty("data_dir", dataDir.path().toString());
            out.json(o);
        } else {
            out.line(identity.publicId().toString());
        }
        return ExitCodes.OK;
    }
}
