package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.Announce;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.node.NodeEndpoint;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.work.CommitPolicy;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.RevWalk;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "submit", mixinStandardHelpOptions = true,
        description = {"Submit the HEAD commit of a workspace as an experiment for a claimed EXPLORE unit: it is copied",
            "into this data directory's repository (served to peers by the node running on it), announced and",
            "registered; optionally with a paper. Needs `rhizome node --data-dir <same dir>` running."})
public final class SubmitCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--unit", required = true, description = "The claimed unit's id.")
    String unitId;
    @Option(names = "--workspace", paramLabel = "DIR", defaultValue = ".", description = "The git workspace (default: current directory).")
    Path workspace;
    @Option(names = "--description", description = "What the experiment changes (default: the commit message's first line).")
    String description;
    @Option(names = "--paper", paramLabel = "FILE", description = "A markdown paper about this experiment to publish with it.")
    Path paper;
    @Option(names = "--title", description = "The paper's title (default: its first heading).")
    String title;
    @Option(names = "--keep-lease", description = "Keep the unit's lease to submit more experiments for it.")
    boolean keepLease;
    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        WorkUnit unit = ClaimFiles.load(dataDir.path(), unitId);
        if (unit.getKind() != WorkUnit.Kind.EXPLORE) {
            throw new CommandException(ExitCodes.USAGE, "unit " + unitId + " is " + unit.getKind() + ", not EXPLORE");
        }
        NodeEndpoint node = Announce.servingNode(dataDir.path()).orElseThrow(() -> new CommandException(ExitCodes.FAILED,
                "no node is serving " + dataDir.path() + ": start `rhizome node --data-dir " + dataDir.path()
                        + "` so peers can fetch your commit"));
        String paperText = paper == null ? null : Files.readString(paper, StandardCharsets.UTF_8);
        String head;
        String message;
        try (Git git = Git.open(workspace.toFile())) {
            ObjectId id = git.getRepository().resolve("HEAD");
            if (id == null) {
                throw new CommandException(ExitCodes.USAGE, workspace + " has no HEAD commit");
            }
            head = id.name();
            message = git.getRepository().parseCommit(id).getShortMessage();
            ObjectId base = git.getRepository().resolve(unit.getCommit() + "^{commit}");
            try (RevWalk walk = new RevWalk(git.getRepository())) {
                if (base == null || !walk.isMergedInto(walk.parseCommit(base), walk.parseCommit(id))) {
                    throw new CommandException(ExitCodes.USAGE, "HEAD " + CommitId.abbreviate(head)
                            + " does not descend from the unit's base " + CommitId.abbreviate(unit.getCommit()));
                }
            }
        }
        if (head.equals(unit.getCommit())) {
            throw new CommandException(ExitCodes.USAGE, "HEAD is the unit's base commit: commit your change first");
        }
        CoordinatorClient client = Coordinators.client(coordinator, dataDir);
        try (NodeRepository repo = NodeRepository.open(new NodeLayout(dataDir.path()).repository())) {
            repo.importFrom(workspace, head);
            Set<String> forbidden = CommitPolicy.forbiddenChanges(repo.changedPaths(unit.getSeedCommit(), head),
                    unit.getManifest().getEditableFilesList());
            if (!forbidden.isEmpty()) {
                throw new CommandException(ExitCodes.USAGE, "the commit changes files the seed does not allow: " + forbidden
                        + " (editable: " + unit.getManifest().getEditableFilesList() + ")");
            }
            Announce.inventory(client, repo, node);
            client.registerExperiment(Experiment.newBuilder()
                    .setSeed(unit.getSeed()).setDirection(unit.getDirection())
                    .setCommit(head).setParent(unit.getCommit())
                    .setProposer(client.identity().publicId().toByteString())
                    .setDescription(description != null ? description : message)
                    .setCreatedMs(System.currentTimeMillis())
                    .setWorkUnitId(unit.getId())
                    .build());
            if (paperText != null) {
                client.publishPaper(Paper.newBuilder()
                        .setDirection(unit.getDirection())
                        .setTitle(title != null ? title : firstHeading(paperText, message))
                        .setBodyMarkdown(paperText)
                        .addCommits(head)
                        .setAuthor(client.identity().publicId().toByteString())
                        .setCreatedMs(System.currentTimeMillis())
                        .build());
            }
            if (!keepLease) {
                client.exploreDone(ExploreDone.newBuilder().setWorkUnitId(unit.getId())
                        .setNode(client.identity().publicId().toByteString())
                        .addCommits(head).setTimeMs(System.currentTimeMillis()).build());
                ClaimFiles.remove(dataDir.path(), unitId);
            }
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e);
        }
        Output out = new Output(System.out);
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("commit", head);
            o.addProperty("parent", unit.getCommit());
            o.addProperty("direction", unit.getDirection());
            o.addProperty("paper", paperText != null);
            out.json(o);
        } else {
            out.line("submitted " + head + " on " + unit.getDirection() + (paperText != null ? " with a paper" : "")
                    + "; follow it with `rhizome results --commit " + head + "`");
        }
        return ExitCodes.OK;
    }

    static String firstHeading(String markdown, String fallback) {
        return markdown.lines().filter(l -> l.startsWith("#")).findFirst()
                .map(l -> l.replaceFirst("^#+\\s*", "").trim()).orElse(fallback);
    }
}
