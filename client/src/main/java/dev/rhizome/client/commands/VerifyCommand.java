package dev.rhizome.client.commands;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.ops.audit.AuditExport;
import dev.rhizome.ops.audit.AuditVerifier;
import dev.rhizome.ops.audit.ReceiptFiles;
import dev.rhizome.proto.v1.KeptReceipt;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check an export from `rhizome export` offline: every signature and envelope id, every "
                + "result against its seed, direction and experiment, every adoption re-derived from the rule.",
            "Names each record that fails (type, index, id, why) and exits 1; exits 0 when all pass."})
public final class VerifyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", converter = PathArguments.InputFile.class, description = "An export written by `rhizome export`.")
    Path file;
    @Option(names = "--json", description = "Print one JSON object: ok, envelopes, results, adoptions, trials_on_reputation, receipts (how many were checked), problems (type, index, id, why), "
            + "network (the network the records were checked against: the export header's, or in an older export the "
            + "first record's; null when none names one), confirmations_unavailable (the export's coordinator served no "
            + "confirmations, an older one: adoptions re-derived at their trial seeds only), confirmations_drawn (how many "
            + "confirmations' seeds an older coordinator drew, its word alone; every other confirmation's seeds were "
            + "re-derived from the candidate's results), confirmations_unrevealed (how many confirmations' seeds were derived "
            + "without a committed secret, for candidates registered before their coordinator committed to one), confirmations_unattested (how many committed confirmations have a deciding result from a node "
            + "older than round 27, which signs no seed commitment: the commitment's place before it is the coordinator's word), papers_off_direction (index, id, why of each paper citing a commit "
            + "that is no experiment of its direction: a coordinator refuses those since round 24, an older one stored "
            + "them; named, not failed), operator_orders (type, index, id, by_id, at_ms, what of each operator's signed "
            + "order in the trail: a direction closed, a key banned, trials queued again; each checked against the "
            + "operators the export's header names), sealed (how many results were sealed when exported: their "
            + "trials had a replica out, so the export holds each one's place and id, not its envelope; a later export "
            + "holds the envelope, checked against that id with --earlier).")
    boolean json;
    @Option(names = "--earlier", paramLabel = "EARLIER", converter = PathArguments.InputFile.class,
            description = "An earlier export of the same coordinator: every record it holds must stand at the same "
                    + "place in FILE, and each result sealed in it must be served in FILE with the id shown then "
                    + "(its SHA-256); one that differs is a problem of type Reveal.")
    Path earlier;
    @Option(names = "--receipts", arity = "1..*", paramLabel = "R", converter = PathArguments.InputFile.class,
            description = "Files of `rhizome node receipts --out`: each receipt's signature is checked against the "
                    + "receipt keys the export names, and each whose result is not in the export at its index (dropped, "
                    + "altered or moved later after it was accepted) is a problem of type Receipt, with its trial judged "
                    + "again with the result put back.")
    List<Path> receipts = List.of();

    @Override
    public Integer call() {
        AuditVerifier.Report report;
        List<KeptReceipt> kept = new ArrayList<>();
        for (Path r : receipts) {
            try {
                kept.addAll(ReceiptFiles.read(r));
            } catch (IOException e) {
                throw new CommandException(ExitCodes.FAILED, "failed", "cannot read receipts " + r + ": "
                        + Problems.describe(e), "pass the file `rhizome node receipts --out FILE` wrote, whole and unchanged");
            }
        }
        try {
            report = earlier == null ? AuditVerifier.verify(AuditExport.read(file), kept)
                    : AuditVerifier.verify(AuditExport.read(file), kept, readEarlier());
        } catch (IOException e) {
            String why = Problems.describe(e);
            // "fix what the message names" told nobody that the file is not an export at all
            throw new CommandException(ExitCodes.FAILED, "failed", why.startsWith(file.toString()) ? why
                    : "cannot read " + file + ": " + why, "verify takes the file `rhizome export --out FILE` wrote, "
                            + "whole and unchanged: export it again if it was cut or edited");
        }
        Output o = new Output(System.out);
        if (json) {
            JsonObject j = new JsonObject();
            j.addProperty("ok", report.ok());
            j.addProperty("envelopes", report.envelopes());
            j.addProperty("results", report.results());
            j.addProperty("adoptions", report.adoptions());
            j.addProperty("trials_on_reputation", report.trialsOnReputation());
            j.addProperty("receipts", kept.size());
            j.addProperty("sealed", report.sealed());
            JsonArray problems = new JsonArray();
            for (AuditVerifier.Problem p : report.problems()) {
                JsonObject x = new JsonObject();
                x.addProperty("type", p.type());
                x.addProperty("index", p.index());
                x.addProperty("id", p.id());
                x.addProperty("why", p.why());
                problems.add(x);
            }
            j.add("problems", problems);
            JsonArray offDirection = new JsonArray();
            for (AuditVerifier.Problem p : report.papersOffDirection()) {
                JsonObject x = new JsonObject();
                x.addProperty("index", p.index());
                x.addProperty("id", p.id());
                x.addProperty("why", p.why());
                offDirection.add(x);
            }
            j.addProperty("network", report.network());
            j.addProperty("confirmations_unavailable", report.confirmationsUnavailable());
            j.addProperty("confirmations_drawn", report.confirmationsDrawn());
            j.addProperty("confirmations_unrevealed", report.confirmationsUnrevealed());
            j.addProperty("confirmations_unattested", report.confirmationsUnattested());
            j.add("papers_off_direction", offDirection);
            JsonArray orders = new JsonArray();
            for (AuditVerifier.Order x : report.orders()) {
                JsonObject y = new JsonObject();
                y.addProperty("type", x.type());
                y.addProperty("index", x.index());
                y.addProperty("id", x.id());
                y.addProperty("by_id", x.by());
                y.addProperty("at_ms", x.atMs());
                y.addProperty("what", x.what());
                orders.add(y);
            }
            j.add("operator_orders", orders);
            o.json(j);
        } else {
            report.problems().forEach(p -> o.line("FAIL " + p));
            if (report.confirmationsUnavailable()) {
                o.line("note: the export holds no confirmations (its coordinator served no /v1/confirmations, "
                        + "an older one): adoptions were re-derived at their trial seeds only");
            }
            if (report.confirmationsDrawn() > 0) {
                o.line("note: " + report.confirmationsDrawn() + " confirmation(s) have seeds an older coordinator drew "
                        + "(its word alone: which draw it kept cannot be checked); the others' seeds were re-derived "
                        + "from the candidates' results");
            }
            if (report.confirmationsUnrevealed() > 0) {
                o.line("note: " + report.confirmationsUnrevealed() + " confirmation(s) have seeds derived from their "
                        + "results without a committed secret (candidates registered before their coordinator "
                        + "committed to one): a runner holding every deciding result could have ground them");
            }
            if (report.confirmationsUnattested() > 0) {
                o.line("note: " + report.confirmationsUnattested() + " committed confirmation(s) rest on deciding "
                        + "results from nodes older than round 27, which sign no seed commitment: that their "
                        + "commitment came before those results is the coordinator's word");
            }
            report.papersOffDirection().forEach(p -> o.line("note: " + p + " (a coordinator refuses such a paper "
                    + "since round 24; an older one stored it as sent)"));
            // who ordered what and when: few, and what an auditor reads first
            report.orders().forEach(x -> o.line("order: " + x));
            o.line((report.ok() ? "verified: " : "NOT verified: ") + report.envelopes() + " signed envelopes ("
                    + report.results() + " results" + (report.orders().isEmpty() ? "" : ", " + report.orders().size()
                            + " operator order(s)") + "), " + report.adoptions() + " adoptions re-derived"
                    + (report.network() == null ? "" : ", network " + report.network())
                    + (kept.isEmpty() ? "" : ", " + kept.size() + " receipt(s) checked")
                    + (report.sealed() > 0 ? ", " + report.sealed() + " result(s) sealed (a replica of their trial "
                            + "was out: place and id checked, contents in a later export)" : "")
                    + (report.trialsOnReputation() > 0 ? ", " + report.trialsOnReputation()
                            + " trial(s) rest on one trusted runner's result (adaptive replication)" : "")
                    + (report.ok() ? "" : "; " + report.problems().size() + " record(s) fail"));
        }
        return report.ok() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private List<dev.rhizome.proto.v1.AuditLine> readEarlier() {
        try {
            return AuditExport.read(earlier);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "failed", "cannot read the earlier export " + earlier + ": "
                    + Problems.describe(e), "pass --earlier a file `rhizome export --out FILE` wrote, whole and unchanged");
        }
    }
}
