package dev.rhizome.client.commands;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "papers", mixinStandardHelpOptions = true,
        description = "Read the papers published on a direction (newest first), each verified against its author's key.")
public final class PapersCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--direction", description = "Only this direction.")
    String direction;
    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        List<SignedEnvelope> envelopes = Coordinators.read(coordinator, dataDir, c -> c.papers(direction))
                .getEnvelopesList();
        Output out = new Output(System.out);
        JsonArray arr = new JsonArray();
        int invalid = 0;
        for (SignedEnvelope e : envelopes) {
            Verified<Paper> paper;
            try {
                paper = Envelopes.openSignedBy(e, Paper.getDefaultInstance(), Paper::getAuthor);
            } catch (SignatureException ex) {
                invalid++;
                continue;
            }
            Paper p = paper.record();
            if (json) {
                arr.add(Output.toJson(p));
            } else {
                out.line("## " + p.getTitle());
                out.line("direction " + p.getDirection() + ", by " + paper.signer().shortForm() + ", "
                        + Instant.ofEpochMilli(p.getCreatedMs()) + ", commits " + String.join(" ", p.getCommitsList()));
                out.line("");
                out.line(p.getBodyMarkdown().strip());
                out.line("");
            }
        }
        if (json) {
            JsonObject o = new JsonObject();
            o.add("papers", arr);
            o.addProperty("invalid_signatures", invalid);
            out.json(o);
        } else if (envelopes.isEmpty()) {
            out.line("no papers yet");
        }
        return ExitCodes.OK;
    }
}
