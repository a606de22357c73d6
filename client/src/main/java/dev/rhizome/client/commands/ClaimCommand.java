package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.Workspaces;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.node.work.CommitFetcher;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "claim", mixinStandardHelpOptions = true,
        description = {"Claim a work unit. For an EXPLORE unit, --workspace fetches the direction's frontier from peers",
            "and checks it out as a git workspace to edit and commit in; then `rhizome submit` it.",
            "Exits with 3 when there is no work right now."})
public final class ClaimCommand implements Callable<Integer> {
    enum Kind { explore, evaluate }

    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--kind", defaultValue = "explore", description = "explore or evaluate (default ${DEFAULT-VALUE}).")
    Kind kind;
    @Option(names = "--direction", description = "Only a unit of this direction.")
    String direction;
    @Option(names = "--hardware-class", defaultValue = "any", description = "Hardware class to claim for (default ${DEFAULT-VALUE}).")
    String hardwareClass;
    @Option(names = "--workspace", paramLabel = "DIR", description = "Check the unit's commit out here (must not exist or be empty).")
    Path workspace;
    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (workspace != null && Files.isDirectory(workspace)) {
            try (var entries = Files.list(workspace)) {
                if (entries.findAny().isPresent()) {
                    throw new CommandException(ExitCodes.USAGE, "--workspace " + workspace + " is not empty");
                }
            }
        }
        CoordinatorClient client = Coordinators.client(coordinator, dataDir);
        ClaimRequest.Builder request = ClaimRequest.newBuilder()
                .setNode(client.identity().publicId().toByteString())
                .setHardwareClass(hardwareClass)
                .addKinds(kind == Kind.explore ? WorkUnit.Kind.EXPLORE : WorkUnit.Kind.EVALUATE)
                .setTimeMs(System.currentTimeMillis());
        if (direction != null) {
            request.setDirection(direction);
        }
        ClaimResponse response;
        try {
            response = client.claim(request.build());
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e);
        }
        Output out = new Output(System.out);
        if (!response.hasUnit()) {
            if (json) {
                JsonObject o = new JsonObject();
                o.add("unit", null);
                out.json(o);
            } else {
                out.line("no work available right now");
            }
            return ExitCodes.NO_WORK;
        }
        WorkUnit unit = response.getUnit();
        ClaimFiles.save(dataDir.path(), unit);
        if (workspace != null) {
            checkout(client, unit);
        }
        if (json) {
            JsonObject o = new JsonObject();
            o.add("unit", Output.toJson(unit));
            o.addProperty("workspace", workspace == null ? null : workspace.toAbsolutePath().toString());
            o.addProperty("brief", workspace == null || unit.getManifest().getBrief().isEmpty() ? null
                    : workspace.toAbsolutePath().resolve(unit.getManifest().getBrief()).toString());
            out.json(o);
        } else {
            out.line("claimed " + unit.getKind() + " unit " + unit.getId() + " on " + unit.getDirection()
                    + " at " + CommitId.abbreviate(unit.getCommit()) + ", lease until "
                    + java.time.Instant.ofEpochMilli(unit.getLeaseDeadlineMs()));
            if (workspace != null) {
                out.line("workspace: " + workspace.toAbsolutePath() + " (read " + unit.getManifest().getBrief()
                        + "; commit your change, then `rhizome submit --unit " + unit.getId() + " --workspace "
                        + workspace + "`)");
            }
        }
        return ExitCodes.OK;
    }

    private void checkout(CoordinatorClient client, WorkUnit unit) throws IOException, InterruptedException {
        NodeLayout layout = new NodeLayout(dataDir.path());
        try (NodeRepository repo = NodeRepository.open(layout.repository());
                BundleFetcher fetcher = new BundleFetcher(repo, client.identity(), PeerConfig.defaults(),
                        new TransferLog(layout.transfers()))) {
            new CommitFetcher(fetcher, client).fetch(unit.getCommit(), unit.getPeersList());
            Workspaces.create(repo, unit.getCommit(), workspace, "rhizome/" + unit.getId());
        } catch (FetchException e) {
            throw new CommandException(ExitCodes.FAILED, "cannot fetch " + unit.getCommit() + ": " + e.getMessage());
        }
    }
}
