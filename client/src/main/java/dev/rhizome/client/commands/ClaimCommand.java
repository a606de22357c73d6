package dev.rhizome.client.commands;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.agent.Brief;
import dev.rhizome.client.agent.Research;
import dev.rhizome.client.agent.Untrusted;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.SimilarWork;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "claim", mixinStandardHelpOptions = true,
        description = {"Claim a work unit. For an EXPLORE unit, --workspace fetches its commit (the direction's frontier,",
            "or --from COMMIT) from peers and checks it out as a git workspace to edit and commit in; the brief",
            "(`rhizome brief`) is written next to the claim and printed. Then `rhizome submit` it.",
            "Exits with 3 when there is no work right now, saying why and when to retry."})
public final class ClaimCommand implements Callable<Integer> {
    enum Kind { explore, evaluate }

    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--kind", defaultValue = "explore", description = "explore or evaluate (default ${DEFAULT-VALUE}).", paramLabel = "explore|evaluate")
    Kind kind;
    @Option(names = "--direction", description = "Only a unit of this direction (an unknown one is an error).", paramLabel = "DIRECTION")
    String direction;
    @Option(names = "--from", paramLabel = "COMMIT",
            description = "Branch from this registered commit of the direction instead of its frontier (a unique prefix is enough).")
    String from;
    @Option(names = "--hypothesis", paramLabel = "SENTENCE",
            description = "What you mean to try; the coordinator warns when recent work on the direction looks the same.")
    String hypothesis;
    @Option(names = "--hardware-class", defaultValue = "any", description = "Hardware class to claim for (default ${DEFAULT-VALUE}).", paramLabel = "CLASS")
    String hardwareClass;
    @Option(names = "--workspace", paramLabel = "DIR", description = "Check the unit's commit out here (must not exist or be empty).")
    Path workspace;
    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    /**
     * What to do when no unit came: wait and claim again, except on a closed direction, which no
     * wait reopens (the coordinator's reason reads "direction D is closed: why").
     */
    public static String noWorkHint(String reason, long retryAfterS) {
        if (reason.matches("direction \\S+ is closed.*")) {
            return "the direction is closed for good: pick an open one with `rhizome direction list`";
        }
        return "claim again in " + retryAfterS + " s";
    }

    @Override
    public Integer call() throws IOException {
        if (workspace != null && Files.isDirectory(workspace)) {
            try (var entries = Files.list(workspace)) {
                if (entries.findAny().isPresent()) {
                    throw new CommandException(ExitCodes.USAGE, "workspace_not_empty", "--workspace " + workspace
                            + " is not empty", "give a new or empty directory");
                }
            }
        }
        if (workspace != null && Files.exists(workspace) && !Files.isDirectory(workspace)) {
            // checked before claiming, so a wrong path does not take a lease it cannot use
            throw new CommandException(ExitCodes.USAGE, "workspace_not_empty", "--workspace " + workspace
                    + " is a file, not a directory", "give a new or empty directory");
        }
        if (workspace != null && !Files.exists(workspace) && workspace.toAbsolutePath().getParent() != null
                && Files.exists(workspace.toAbsolutePath().getParent())
                && !Files.isWritable(workspace.toAbsolutePath().getParent())) {
            throw new CommandException(ExitCodes.USAGE, "usage", "--workspace " + workspace
                    + ": cannot create it (its parent directory is not writable)", "give a directory you can write");
        }
        if (from != null && direction == null) {
            throw new CommandException(ExitCodes.USAGE, "usage", "--from needs --direction",
                    "add --direction D (the direction the commit belongs to)");
        }
        CoordinatorClient client = Coordinators.client(coordinator, dataDir);
        Research research = new Research(client, dataDir.path());
        ClaimResponse response = kind == Kind.explore
                ? research.claimExplore(direction, from, hypothesis, hardwareClass)
                : claimEvaluation(client);
        Output out = new Output(System.out);
        if (!response.hasUnit()) {
            String reason = response.getReason().isEmpty() ? "no work available right now" : response.getReason();
            if (json) {
                JsonObject o = new JsonObject();
                o.add("unit", null);
                o.addProperty("reason", reason);
                o.addProperty("retry_after_s", response.getRetryAfterS());
                o.addProperty("error", "no_work");
                o.addProperty("message", reason);
                o.addProperty("hint", noWorkHint(reason, response.getRetryAfterS()));
                out.json(o);
            } else {
                out.line("no work: " + reason + "; " + noWorkHint(reason, response.getRetryAfterS()));
            }
            return ExitCodes.NO_WORK;
        }
        WorkUnit unit = response.getUnit();
        if (kind == Kind.evaluate) {
            ClaimFiles.save(dataDir.path(), unit);
        }
        Path briefFile = null;
        Brief brief = null;
        if (workspace != null) {
            try {
                research.checkout(unit, workspace);
            } catch (CommandException e) {
                // give the unit back at once: a lease nobody can use would hold the direction's
                // share of EXPLORE capacity until it ran out
                try {
                    research.giveBackUnfetched(unit, hardwareClass, e.getMessage());
                } catch (CommandException ignored) {
                    // the lease runs out by itself
                }
                throw e;
            }
            try {
                new WorkspaceClaim(unit.getId(), dataDir.path(), coordinator.url()).write(workspace);
            } catch (IOException e) {
                System.err.println("rhizome: warning: cannot record the claim in " + workspace
                        + " (submit and renew there will need --unit): " + Problems.describe(e));
            }
        }
        if (unit.getKind() == WorkUnit.Kind.EXPLORE) {
            brief = Brief.collect(client, dataDir.path(), unit.getDirection(), unit, workspace, response.getSimilarList());
            briefFile = brief.write(research.unitDir(unit.getId()).resolve("BRIEF.md"));
        }
        long left = Math.max(0, (unit.getLeaseDeadlineMs() - System.currentTimeMillis()) / 1000);
        if (json) {
            JsonObject o = new JsonObject();
            o.add("unit", Output.toJson(unit));
            o.addProperty("lease_seconds_left", left);
            o.addProperty("workspace", workspace == null ? null : workspace.toAbsolutePath().toString());
            o.addProperty("brief", briefFile == null ? null : briefFile.toString());
            o.addProperty("seed_brief", workspace == null || unit.getManifest().getBrief().isEmpty() ? null
                    : workspace.toAbsolutePath().resolve(unit.getManifest().getBrief()).toString());
            JsonArray similar = new JsonArray();
            for (SimilarWork s : response.getSimilarList()) {
                JsonObject so = Untrusted.json(s.getKind(), s.getText(), 300);
                so.addProperty("kind", s.getKind());
                so.addProperty("commit", s.getCommit().isEmpty() ? null : s.getCommit());
                so.addProperty("similarity", s.getSimilarity());
                similar.add(so);
            }
            o.add("similar", similar);
            out.json(o);
        } else {
            out.line("claimed " + unit.getKind() + " unit " + unit.getId() + " on " + unit.getDirection()
                    + " at " + CommitId.abbreviate(unit.getCommit()) + ", lease until "
                    + Instant.ofEpochMilli(unit.getLeaseDeadlineMs()) + " (" + left + " s left)");
            if (!response.getSimilarList().isEmpty()) {
                out.line("warning: " + response.getSimilarCount() + " recent hypotheses or experiments on "
                        + unit.getDirection() + " look like yours; see the brief");
            }
            if (workspace != null) {
                out.line("workspace: " + workspace.toAbsolutePath() + " (commit your change, then `rhizome submit --unit "
                        + unit.getId() + " --workspace " + workspace + " --wait`)");
            }
            if (brief != null) {
                out.line("brief: " + briefFile);
                out.line("");
                out.stream().print(brief.text());
            }
        }
        return ExitCodes.OK;
    }

    private ClaimResponse claimEvaluation(CoordinatorClient client) {
        ClaimRequest.Builder request = ClaimRequest.newBuilder()
                .setNode(client.identity().publicId().toByteString())
                .setHardwareClass(hardwareClass)
                .addKinds(WorkUnit.Kind.EVALUATE)
                .setTimeMs(System.currentTimeMillis());
        if (direction != null) {
            request.setDirection(direction);
        }
        try {
            return client.claim(request.build());
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e);
        }
    }
}
