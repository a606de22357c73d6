package dev.rhizome.client.commands;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.agent.PaperText;
import dev.rhizome.client.agent.Research;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.ImpliedDirection;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.StepNotices;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.protocol.CommitId;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Publish a markdown paper about experiments already submitted: what was tried, what happened",
            "(known once `rhizome wait` has the outcome) and what to try next. Each --commit must be a registered",
            "experiment of the paper's direction. Run again with the same paper and commits, it publishes nothing twice.",
            "`rhizome papers --commit COMMIT` reads it. (A seed is published with `rhizome seed publish`.)"})
public final class PublishCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--paper", required = true, paramLabel = "FILE", converter = PathArguments.InputFileOrStdin.class,
            description = "The markdown paper ('-': read it from standard input).")
    Path paper;
    @Option(names = "--title", description = "The paper's title (default: its first heading, else the first commit's description).",
            paramLabel = "TEXT")
    String title;
    @Option(names = "--cites", paramLabel = "PAPER_ID", split = ",",
            description = "Ids of the papers this one builds on (from `rhizome papers --json`).")
    List<String> cites = new ArrayList<>();
    @Option(names = "--commit", paramLabel = "COMMIT", description = "An experiment the paper is about (repeatable; a "
            + "unique prefix of 4+ hex digits is enough; default: in a claimed workspace, the commit its claim was "
            + "submitted with; elsewhere the paper is about no commit).")
    List<String> commits = new ArrayList<>();
    @Option(names = "--direction", paramLabel = "DIRECTION", description = "The paper's direction (default: its "
            + "commits' direction; with no commit, that of the claim in the workspace this runs in, else the "
            + "coordinator's only open direction).")
    String direction;
    @Option(names = "--json", description = "Print one JSON object: paper_id, direction, commits, title, undecided (the commits whose experiments were not decided yet: the paper went out before their outcome, and a warning said so on standard error).")
    boolean json;

    @Override
    public Integer call() throws IOException {
        // read first: a paper too large or not UTF-8 is refused before the coordinator is asked anything
        String markdown = PaperText.read(paper);
        PaperText.requireWritten(markdown);
        List<String> given = commits.isEmpty() ? submittedHere() : commits;
        Research research = new Research(Coordinators.client(coordinator, dataDir), dataDir.path());
        List<String> full = given.stream().map(c -> research.resolveCommit("--commit", direction, c)).distinct().toList();
        String where = direction;
        if (full.isEmpty()) {
            where = ImpliedDirection.resolve(direction, coordinator, dataDir, "publish");
            System.err.println("rhizome: the paper is about no commit (--commit ties it to experiments)");
        }
        List<String> undecided = undecided(research, full);
        Research.Publication p;
        try (StepNotices steps = StepNotices.on(System.err)) {
            p = research.onStep(steps::step).publish(where, full, title, markdown, cites);
        }
        Output out = new Output(System.out);
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("paper_id", p.paperId());
            o.addProperty("direction", p.direction());
            JsonArray about = new JsonArray();
            p.commits().forEach(about::add);
            o.add("commits", about);
            o.addProperty("title", p.title());
            JsonArray early = new JsonArray();
            undecided.forEach(early::add);
            o.add("undecided", early);
            out.json(o);
        } else {
            out.line((p.earlier() ? "already published as paper " : "published paper ") + p.paperId() + " on "
                    + p.direction() + (p.commits().isEmpty() ? "" : " about "
                            + String.join(", ", p.commits().stream().map(CommitId::abbreviate).toList()))
                    + ": " + p.title());
            out.line("read it with `" + FollowUp.of(coordinator, dataDir).command("papers " + (p.commits().isEmpty()
                    ? "--direction " + p.direction() : "--commit " + p.commits().get(0))) + "`");
        }
        if (p.earlier() && json) {
            System.err.println("rhizome: the same paper was published before as " + p.paperId() + ": nothing was sent");
        }
        return ExitCodes.OK;
    }

    /**
     * The commits of {@code commits} whose experiments the network has not decided, each said on
     * standard error: a paper published before its outcome told the others nothing of what came of
     * it, and nothing said so (the README's loop publishes after `wait`). Not read: none listed.
     */
    private List<String> undecided(Research research, List<String> commits) {
        List<String> open = new ArrayList<>();
        for (String commit : commits) {
            try {
                ExperimentReport report = research.client().experimentReport(commit);
                if (report.hasExperiment() && !report.getDecided()) {
                    open.add(commit);
                    System.err.println("rhizome: warning: experiment " + CommitId.abbreviate(commit) + " is not decided yet ("
                            + report.getPendingUnits() + " evaluation(s) pending), so the paper cannot say what came of it: "
                            + "`" + FollowUp.of(coordinator, dataDir).command("wait --commit " + commit) + "` waits for its "
                            + "outcome (publish again once it is decided, saying what came of it: a paper with other "
                            + "text is kept as a new one, the same text only once)");
                }
            } catch (CoordinatorException e) {
                // a courtesy: the paper goes out without it
            }
        }
        return open;
    }

    /**
     * The commit this workspace's claim was submitted with, said on standard error; none outside a
     * claimed workspace. Before the submit the paper has no experiment to be about.
     */
    private static List<String> submittedHere() {
        Optional<WorkspaceClaim> claim = WorkspaceClaim.ofWorkingDirectory();
        if (claim.isEmpty()) {
            return List.of();
        }
        String unit = claim.get().unitId();
        List<String> submitted = ClaimFiles.submitted(claim.get().dataDir(), unit);
        if (submitted.isEmpty()) {
            throw CommandException.usage("--commit", "--commit is missing, and this workspace's claim (unit " + unit
                    + ") is not submitted yet", "submit the experiment with its paper (`rhizome submit --paper FILE`), "
                            + "or publish once it is submitted and `rhizome wait` has its outcome");
        }
        String taken = submitted.get(submitted.size() - 1);
        System.err.println("rhizome: --commit " + taken + " (submitted with this workspace's claim, unit " + unit + ")");
        return List.of(taken);
    }
}
