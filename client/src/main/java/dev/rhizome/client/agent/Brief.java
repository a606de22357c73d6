package dev.rhizome.client.agent;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.NewWorkspace;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.LeaderboardEntry;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.ProtectedRegion;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.SimilarWork;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.files.DurableFiles;
import dev.rhizome.protocol.seed.Manifests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Everything an agent needs to work on a direction, in the spirit of autoresearch's program.md:
 * the goal and rules, the frontier, what was tried lately and what came of it, the best results and
 * recent failures, the most relevant papers, the agent's own pending experiments and the exact
 * commands. Text for a model, JSON for a program. Everything written by other participants is fenced as untrusted data.
 */
public final class Brief {
    static final int TOP = 5;
    /** The newest results read for recent failures, and experiments read for the agent's own. */
    static final int RECENT_RESULTS = 500;
    static final int RECENT_EXPERIMENTS = 1000;
    static final int FAILURES = 5;
    /** The newest experiments shown with their outcomes, their reports read in one request ({@link ReportReads}). */
    static final int TRIED = 10;
    static final int PAPERS = 5;
    static final int OWN = 10;
    static final int PAPER_CHARS = 2000;
    static final int LINE_CHARS = 300;
    static final int PROGRAM_CHARS = 8000;

    private final JsonObject json;
    private final String text;
    private final SimilarWorkOutcomes similarWork;

    private Brief(JsonObject json, String text, SimilarWorkOutcomes similarWork) {
        this.json = json;
        this.text = text;
        this.similarWork = similarWork;
    }

    /** The work the claim's hypothesis resembles, with what came of it (none outside a claim). */
    public SimilarWorkOutcomes similarWork() {
        return similarWork;
    }

    public JsonObject json() {
        return json;
    }

    public String text() {
        return text;
    }

    /** Writes the text brief to {@code file} and returns it. */
    public Path write(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            // An agent restarted after a kill reads whatever is there: the old brief or the new, never half.
            DurableFiles.replace(file, text.getBytes(StandardCharsets.UTF_8));
            return file;
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "cannot write the brief to " + file + ": " + Problems.describe(e));
        }
    }

    /**
     * Reads the direction's state from the coordinator (and the seed's program from the local
     * repository, when held) and assembles the brief; {@code unit} and {@code workspace} when a
     * claim was just made.
     */
    public static Brief collect(CoordinatorClient client, Path dataDir, String direction, WorkUnit unit, Path workspace,
            List<SimilarWork> similar) {
        try {
            return assemble(client, dataDir, direction, unit, workspace, similar);
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e, client, direction, new FollowUp(client.url().toString(), dataDir));
        }
    }

    private static Brief assemble(CoordinatorClient client, Path dataDir, String direction, WorkUnit unit, Path workspace,
            List<SimilarWork> similar) throws CoordinatorException {
        FollowUp where = new FollowUp(client.url().toString(), dataDir);
        DirectionStatus ds = Coordinators.direction(client, direction, where);
        String seedName = ds.getDirection().getSeed();
        Seed seed = client.seeds().getSeedsList().stream().filter(s -> s.getName().equals(seedName)).findFirst()
                .orElse(Seed.newBuilder().setName(seedName).build());
        Manifest m = seed.getManifest();
        ByteString me = client.identity().publicId().toByteString();
        // Only the newest of a long history: a brief is written at every claim, and reading all of
        // a direction's experiments and results made a claim take most of a minute at 10,000 results.
        List<Leaderboard> boards = client.leaderboard(direction, "", TOP).getLeaderboardsList();
        Leaderboard board = ComparedBoard.of(boards);
        List<SignedEnvelope> newestFirst = client.newestExperiments(direction, RECENT_EXPERIMENTS).getEnvelopesList();
        List<Experiment> experiments = new ArrayList<>(Records.experiments(newestFirst));
        Collections.reverse(experiments);  // oldest of them first
        Map<String, Experiment> byCommit = experiments.stream()
                .collect(Collectors.toMap(Experiment::getCommit, e -> e, (a, b) -> a));
        List<Result> results = Records.results(client.newestResults(direction, RECENT_RESULTS).getEnvelopesList());
        List<Records.SignedPaper> papers = Records.papers(client, direction);

        JsonObject o = new JsonObject();
        StringBuilder t = new StringBuilder();
        o.addProperty("direction", direction);
        o.addProperty("seed", seedName);
        o.addProperty("generated_ms", System.currentTimeMillis());
        o.addProperty("notice", Untrusted.NOTICE);
        t.append("# Rhizome brief: direction ").append(direction).append(" (seed ").append(seedName).append(")\n\n");
        t.append("Generated ").append(Instant.now()).append(". ").append(Untrusted.NOTICE).append("\n\n");
        // A closed direction hands out no work: an agent that read its brief without this went on
        // to claim and got `no_work` with a retry time, as if it would reopen.
        o.addProperty("closed", ds.getClosed());
        if (ds.getClosed()) {
            o.add("closed_reason", Untrusted.json("closure reason", ds.getClosedReason(), LINE_CHARS));
            t.append("**This direction is closed**: it hands out no more work and takes no more experiments. "
                    + "Pick an open one with `" + where.command("direction list") + "`.\n\n")
                    .append(Untrusted.fence("the operator's reason", ds.getClosedReason(), LINE_CHARS)).append('\n');
        } else {
            o.add("closed_reason", JsonNull.INSTANCE);
        }
        String about = ds.getDirection().getDescription();
        if (!about.isBlank()) {
            o.add("direction_description", Untrusted.json("direction description", about, LINE_CHARS));
            t.append(Untrusted.fence("the direction's description", about, LINE_CHARS)).append('\n');
        }

        // Goal and rules.
        JsonObject goal = new JsonObject();
        goal.addProperty("metric_name", m.getMetric().getName());
        goal.addProperty("lower_is_better", m.getMetric().getLowerIsBetter());
        goal.addProperty("tolerance", m.getMetric().getTolerance());
        // the seed's plausible range (results outside it are refused): null where the seed names none
        goal.addProperty("metric_min", m.getMetric().hasMin() ? m.getMetric().getMin() : null);
        goal.addProperty("metric_max", m.getMetric().hasMax() ? m.getMetric().getMax() : null);
        goal.addProperty("budget", Manifests.describe(m.getBudget()));
        goal.addProperty("timeout_seconds", m.getTimeoutSeconds());
        goal.addProperty("hardware_class", m.getHardwareClass());
        goal.addProperty("quorum", Manifests.quorum(m));
        JsonArray editable = new JsonArray();
        m.getEditableFilesList().forEach(editable::add);
        goal.add("editable_files", editable);
        JsonArray regions = new JsonArray();
        for (ProtectedRegion r : m.getProtectedRegionsList()) {
            JsonObject ro = new JsonObject();
            ro.addProperty("file", r.getFile());
            ro.addProperty("begin_marker", r.getBeginMarker());
            ro.addProperty("end_marker", r.getEndMarker());
            regions.add(ro);
        }
        goal.add("protected_regions", regions);
        // the adoption rule's numbers, as the text's rule line states it
        goal.addProperty("adoption_seeds", Manifests.adoptionSeeds(m));
        goal.addProperty("significance", Manifests.significance(m));
        goal.addProperty("confirmation_seeds", Manifests.confirmationSeeds(m));
        goal.add("floor", null);
        o.add("goal", goal);
        t.append("## Goal and rules\n\n");
        t.append("- Metric: `").append(m.getMetric().getName()).append("`, ")
                .append(m.getMetric().getLowerIsBetter() ? "lower" : "higher").append(" is better; differences of ")
                .append(m.getMetric().getTolerance()).append(" or less are noise")
                .append(m.getMetric().hasMin() || m.getMetric().hasMax() ? String.format(Locale.ROOT,
                        "; a value outside [%s, %s] is refused as implausible",
                        m.getMetric().hasMin() ? m.getMetric().getMin() : "-inf",
                        m.getMetric().hasMax() ? m.getMetric().getMax() : "+inf") : "").append(".\n");
        t.append("- Budget: ").append(Manifests.describe(m.getBudget())).append(", killed after ")
                .append(m.getTimeoutSeconds()).append(" s of running (time on a CPU: a runner's busy machine stretches it, "
                        + "up to twice that in wall-clock time); hardware class `").append(m.getHardwareClass())
                .append("`; ").append(Manifests.quorum(m)).append(" agreeing replica(s) make a result valid.\n");
        t.append("- You may change only: ").append(String.join(", ", m.getEditableFilesList())).append(".\n");
        for (ProtectedRegion r : m.getProtectedRegionsList()) {
            t.append("- Read-only inside ").append(r.getFile()).append(": the lines from the one containing `")
                    .append(r.getBeginMarker()).append("` to the one containing `").append(r.getEndMarker())
                    .append("`. Nodes refuse commits that change them.\n");
        }
        t.append("- An experiment is one commit whose parent is a registered commit of the seed (your unit's base); "
                + "a merge of two registered commits is allowed and records both parents.\n");
        t.append(adoptionRule(m)).append("\n\n");

        // Frontier.
        JsonObject frontier = new JsonObject();
        frontier.addProperty("commit", ds.getFrontierCommit());
        frontier.addProperty("metric", ds.getHasFrontierMetric() ? ds.getFrontierMetric() : null);
        o.add("frontier", frontier);
        o.addProperty("baseline_metric", ds.getHasBaselineMetric() ? ds.getBaselineMetric() : null);
        o.addProperty("experiments", ds.getExperiments());
        // as `direction list` has them: why the base is not measured (nothing is adopted till it is)
        // and whether only an operator's requeue moves it on
        o.addProperty("not_measured_reason", ds.getNotMeasuredReason().isEmpty() ? null : ds.getNotMeasuredReason());
        o.addProperty("requeues_spent", ds.getRequeuesSpent());
        o.addProperty("requeue_command", ds.getRequeuesSpent()
                ? Coordinators.requeueCommand(direction, where) : null);
        t.append("## Frontier\n\n").append(ds.getFrontierCommit()).append(ds.getHasFrontierMetric()
                ? String.format(Locale.ROOT, " at %.6f", ds.getFrontierMetric()) : " (not measured yet)");
        if (ds.getHasBaselineMetric()) {
            t.append(String.format(Locale.ROOT, "; the base measured %.6f", ds.getBaselineMetric()));
        }
        if (!ds.getNotMeasuredReason().isEmpty()) {
            // nothing is adopted until the base is measured: an agent's candidates wait on this, not on their metric
            t.append("; not measured: ").append(ds.getNotMeasuredReason());
        }
        if (ds.getOperatorRequeueCount() > 0) {
            // an operator put trials back past the network's cap: the replicas an agent waits on may be those
            var newest = ds.getOperatorRequeues(0);
            t.append("; an operator queued trials again ").append(ds.getOperatorRequeueCount())
                    .append(" time(s), the newest at ").append(java.time.Instant.ofEpochMilli(newest.getRequeuedMs()))
                    .append(" (trials of ").append(dev.rhizome.protocol.CommitId.abbreviate(newest.getCommit()))
                    .append(newest.getReason().isBlank() ? "" : ": " + newest.getReason()).append(")");
        }
        if (ds.getRequeuesSpent()) {
            t.append("; requeues spent: nothing more is queued by itself, an operator may queue its trials again with `")
                    .append(Coordinators.requeueCommand(direction, where)).append("`");
        }
        t.append("; ").append(ds.getExperiments()).append(" experiment(s) so far.\n\n");
        // what arrived since this data directory last read the direction's log (`log --new`)
        NewSinceLastLook news = NewSinceLastLook.read(client, dataDir, direction);
        o.add("new_since_last_look", news.json());
        t.append(news.text()).append("\n\n");

        if (unit != null) {
            JsonObject u = new JsonObject();
            long left = Math.max(0, (unit.getLeaseDeadlineMs() - System.currentTimeMillis()) / 1000);
            u.addProperty("id", unit.getId());
            u.addProperty("commit", unit.getCommit());
            u.addProperty("lease_deadline_ms", unit.getLeaseDeadlineMs());
            u.addProperty("lease_seconds_left", left);
            u.addProperty("workspace", workspace == null ? null : workspace.toAbsolutePath().toString());
            // a lease that ran out offered `renew`, which answers lease_expired: what goes on is a new claim
            boolean expired = unit.getLeaseDeadlineMs() < System.currentTimeMillis();
            String goOn = expired ? Research.goOnHint(unit, workspace, where) : null;
            u.addProperty("lease_expired", expired);
            u.addProperty("go_on", goOn);
            o.add("unit", u);
            t.append("## Your unit\n\nUnit `").append(unit.getId()).append("`, base ").append(unit.getCommit());
            if (expired) {
                t.append(", lease ended ").append(Instant.ofEpochMilli(unit.getLeaseDeadlineMs()))
                        .append(": it cannot be renewed, and nothing can be submitted under it; ").append(goOn).append('.');
            } else {
                t.append(", lease ends ").append(Instant.ofEpochMilli(unit.getLeaseDeadlineMs())).append(" (")
                        // from any directory, as the brief's commands: a bare `renew` asked ~/.rhizome
                        .append(left).append(" s left; extend it with `").append(where.command("renew --unit " + unit.getId()))
                        .append("`).");
            }
            if (workspace != null) {
                t.append(" Workspace: ").append(workspace.toAbsolutePath()).append('.');
            }
            t.append("\n\n");
        }

        // What came of each similar work (its experiments' outcomes), read once for the claim's
        // answer and this brief alike.
        SimilarWorkOutcomes similarWork = SimilarWorkOutcomes.read(client, similar);
        if (!similarWork.isEmpty()) {
            t.append("## Similar work already tried or under way\n\n");
            t.append(similarWork.text(LINE_CHARS, new FollowUp(client.url().toString(), dataDir)));
            t.append('\n');
        }
        o.add("similar", similarWork.json(LINE_CHARS));

        // Top results.
        JsonArray top = new JsonArray();
        t.append("## Top results").append(board.getHardwareClass().isEmpty() ? "" : " on " + board.getHardwareClass())
                .append("\n\n");
        int rank = 0;
        Set<String> topCommits = new HashSet<>();
        for (LeaderboardEntry e : board.getEntriesList()) {
            if (++rank > TOP) {
                break;
            }
            topCommits.add(e.getCommit());
            JsonObject eo = new JsonObject();
            eo.addProperty("commit", e.getCommit());
            eo.addProperty("parent", e.getParent());
            eo.addProperty("metric", e.getMetric());
            eo.addProperty("replicas", e.getReplicas());
            eo.addProperty("frontier", e.getFrontier());
            eo.add("description", Untrusted.json("experiment description", e.getDescription(), LINE_CHARS));
            top.add(eo);
            t.append(String.format(Locale.ROOT, "%d. %s %.6f x%d%s%n", rank, CommitId.abbreviate(e.getCommit()),
                    e.getMetric(), e.getReplicas(), e.getFrontier() ? " (frontier)" : ""));
            t.append(Untrusted.fence("description of " + CommitId.abbreviate(e.getCommit()), e.getDescription(),
                    LINE_CHARS));
        }
        if (top.isEmpty()) {
            t.append("No results yet.\n");
        }
        t.append('\n');
        o.add("top", top);

        // What was tried, whatever came of it: the top results and the failures leave out the
        // experiments that ran and lost, and those still running, which an agent about to repeat
        // one needs most (it had to find `rhizome log` to see them).
        // The tried experiments' reports and the agent's own newest are read together: one request
        // (GET /v1/experiment-reports) where a brief made one per experiment, up to twenty.
        List<SignedEnvelope> triedEnvelopes = newestFirst.subList(0, Math.min(TRIED, newestFirst.size()));
        List<Experiment> mine = experiments.stream().filter(e -> Mine.is(e, me)).toList();
        List<Experiment> ownNewest = mine.subList(Math.max(0, mine.size() - OWN), mine.size());
        List<String> toRead = new ArrayList<>(DirectionLog.commits(triedEnvelopes));
        ownNewest.forEach(e -> toRead.add(e.getCommit()));
        Map<String, ReportReads.ReportRead> reports = ReportReads.read(client, toRead);
        DirectionLog tried = DirectionLog.of(triedEnvelopes, reports);
        JsonArray triedJson = new JsonArray();
        t.append("## Tried on this direction (newest ").append(tried.entries().size()).append(" of ")
                .append(Math.max(ds.getExperiments(), tried.entries().size())).append(")\n\n");
        for (DirectionLog.Entry e : tried.entries()) {
            triedJson.add(DirectionLog.json(e, me, LINE_CHARS));
            t.append(DirectionLog.text(e, me, LINE_CHARS));
        }
        long leftOut = Math.max(0, ds.getExperiments() - tried.entries().size());
        if (tried.entries().isEmpty()) {
            t.append("Nothing yet.\n");
        } else if (leftOut > 0) {
            t.append(leftOut).append(" older experiment(s): `").append(new FollowUp(client.url().toString(), dataDir)
                    .command("log --direction " + Shell.quote(direction))).append("` pages through them all.\n");
        }
        t.append('\n');
        o.add("tried", triedJson);
        o.addProperty("tried_left_out", leftOut);

        // What others are trying now and have not submitted: two agents reading the same brief
        // picked the same idea, and learned of it only from their claims' near-duplicate check.
        Optional<UnderWayClaims> underWay = UnderWayClaims.read(client, direction);
        if (underWay.isPresent()) {
            t.append("## Under way: hypotheses claimed and not submitted yet (newest first)\n\n")
                    .append(underWay.get().text(me, LINE_CHARS, System.currentTimeMillis())).append('\n');
        }
        o.add("under_way", underWay.map(u -> (JsonElement) u.json(me, LINE_CHARS)).orElse(JsonNull.INSTANCE));

        // Recent failures, one line a commit (an experiment that crashed at every seed filled the list alone).
        JsonArray failures = new JsonArray();
        t.append("## Recent failures\n\n");
        Set<String> failedCommits = new HashSet<>();
        List<Result> failed = results.stream().filter(r -> r.getStatus() != Result.Status.OK)
                .sorted(Comparator.comparingLong(Result::getTimeMs).reversed())
                .filter(r -> failedCommits.add(r.getCommit())).limit(FAILURES).toList();
        for (Result r : failed) {
            Experiment e = byCommit.get(r.getCommit());
            JsonObject fo = new JsonObject();
            fo.addProperty("commit", r.getCommit());
            fo.addProperty("status", r.getStatus().name());
            fo.add("description", Untrusted.json("experiment description", e == null ? "" : e.getDescription(),
                    LINE_CHARS));
            failures.add(fo);
            t.append("- ").append(CommitId.abbreviate(r.getCommit())).append(' ').append(r.getStatus()).append('\n');
            if (e != null) {
                t.append(Untrusted.fence("description of " + CommitId.abbreviate(r.getCommit()), e.getDescription(),
                        LINE_CHARS));
            }
        }
        if (failed.isEmpty()) {
            t.append("None.\n");
        }
        t.append('\n');
        o.add("failures", failures);

        // The agent's own experiments still being evaluated.
        JsonArray pending = new JsonArray();
        t.append("## Your pending experiments\n\n");
        for (Experiment e : ownNewest) {
            ExperimentReport r = reports.get(e.getCommit()).report();
            if (r != null && !r.getDecided()) {
                JsonObject po = new JsonObject();
                po.addProperty("commit", e.getCommit());
                po.addProperty("results", r.getResultsCount());
                po.addProperty("pending_units", r.getPendingUnits());
                po.addProperty("leased_units", r.getLeasedUnits());
                pending.add(po);
                t.append("- ").append(CommitId.abbreviate(e.getCommit())).append(": ").append(r.getResultsCount())
                        .append(" result(s), ").append(r.getPendingUnits()).append(" evaluation(s) pending, ")
                        .append(r.getLeasedUnits()).append(" with a runner (`")
                        .append(new FollowUp(client.url().toString(), dataDir).command("wait --commit " + e.getCommit()))
                        .append("`)\n");
            }
        }
        if (pending.isEmpty()) {
            t.append("None.\n");
        }
        t.append('\n');
        o.add("pending", pending);

        // Papers, the most relevant first: those about the frontier and the top results, then the newest.
        String frontierCommit = ds.getFrontierCommit();
        List<Records.SignedPaper> ranked = new ArrayList<>(papers);
        ranked.sort(Comparator.comparingInt((Records.SignedPaper p) -> p.paper().getCommitsList().contains(frontierCommit)
                ? 0 : p.paper().getCommitsList().stream().anyMatch(topCommits::contains) ? 1 : 2)
                .thenComparing(Comparator.comparingLong((Records.SignedPaper p) -> p.paper().getCreatedMs()).reversed()));
        JsonArray paperJson = new JsonArray();
        t.append("## Papers (most relevant first, ").append(Math.min(PAPERS, ranked.size())).append(" of ")
                .append(ranked.size()).append(")\n\n");
        for (Records.SignedPaper p : ranked.subList(0, Math.min(PAPERS, ranked.size()))) {
            paperJson.add(Papers.json(p, PAPER_CHARS));
            t.append(Papers.text(p, PAPER_CHARS)).append('\n');
        }
        if (ranked.isEmpty()) {
            t.append("None yet: yours could be the first.\n\n");
        }
        o.add("papers", paperJson);

        // The seed's own program, written by its publisher.
        String program = seedProgram(dataDir, seed);
        o.addProperty("seed_program", program);
        if (!program.isEmpty()) {
            t.append("## The seed's program (").append(m.getBrief()).append(", from the seed's publisher)\n\n")
                    .append(program.strip()).append("\n\n");
        }

        String newest = experiments.isEmpty() ? null : experiments.get(experiments.size() - 1).getCommit();
        String ownCommit = mine.isEmpty() ? null : mine.get(mine.size() - 1).getCommit();
        JsonObject commands = commands(direction, unit, workspace, dataDir, client.url().toString(),
                new Examples(ds.getFrontierCommit(), ownCommit != null ? ownCommit : newest, ownCommit));
        o.add("commands", commands);
        t.append("## Commands\n\n");
        commands.entrySet().forEach(e -> t.append("- ").append(e.getKey().replace('_', ' ')).append(": ")
                .append(e.getValue().isJsonNull() ? noCommandYet(e.getKey()) : "`" + e.getValue().getAsString() + "`")
                .append('\n'));
        return new Brief(o, t.toString(), similarWork);
    }

    /**
     * The commits the example commands name, each null where none is known: {@code from}, the
     * frontier; {@code waitFor}, your newest experiment, else the direction's; {@code publishOn},
     * your newest experiment. They said `<commit>` where a brief had just listed the very commits,
     * and a new user copied the placeholder as written.
     */
    private record Examples(String from, String waitFor, String publishOn) {
        static String valid(String commit) {
            return commit != null && CommitId.isValid(commit) ? commit : null;
        }
    }

    /**
     * The commands as they run when copied, from any directory: every one names the data directory
     * and coordinator the brief was made with (a brief is read elsewhere than where it was made, and
     * a newcomer's copied `claim` asked the default coordinator), every path absolute and quoted.
     * Nothing in them is a placeholder a shell misreads: `--workspace <dir>` and `--paper
     * <finding.md>` are redirections to a shell, and `--unit <unit>` named no unit. Before a claim
     * the unit's commands name the workspace the printed claim checks out, whose claim names the
     * unit; where no commit is known for `wait` or `publish` (nothing submitted yet), the command is
     * null and the text says what prints it once there is one.
     */
    private static JsonObject commands(String direction, WorkUnit unit, Path workspace, Path dataDir, String coordinator,
            Examples examples) {
        FollowUp where = new FollowUp(coordinator, dataDir);
        String d = Shell.quote(direction);
        String newWorkspace = NewWorkspace.beside("ws-" + direction);
        String unitWorkspace = workspace != null ? Shell.quote(workspace.toAbsolutePath().normalize()) : newWorkspace;
        String theUnit = unit != null ? "--unit " + unit.getId() : "--workspace " + unitWorkspace;
        String paper = NewWorkspace.fileBeside("finding.md");
        JsonObject c = new JsonObject();
        c.addProperty("read_papers", where.command("papers --direction " + d) + " --json");
        c.addProperty("see_the_tree", where.command("tree --direction " + d) + " --json");
        c.addProperty("claim", where.command("claim --direction " + d + " --hypothesis '<one sentence>' --workspace "
                + newWorkspace) + " --json");
        String from = Examples.valid(examples.from());
        c.addProperty("claim_from_a_commit", from == null ? null : where.command("claim --direction " + d + " --from "
                + from + " --workspace " + newWorkspace) + " --json");
        c.addProperty("renew_the_lease", where.command("renew " + theUnit) + " --json");
        c.addProperty("give_the_unit_back", where.command("unclaim " + theUnit) + " --json");
        // a unit claimed without a workspace is for a checkout the agent has: submit runs in it
        String submitWhat = unit != null && workspace != null ? theUnit + " --workspace " + unitWorkspace : theUnit;
        c.addProperty("submit_and_wait", where.command("submit " + submitWhat + " --paper " + paper + " --wait")
                + " --json");
        String waitFor = Examples.valid(examples.waitFor());
        c.addProperty("wait_for_a_result", waitFor == null ? null : where.command("wait --commit " + waitFor) + " --json");
        String publishOn = Examples.valid(examples.publishOn());
        c.addProperty("publish_a_paper_after_the_wait", publishOn == null ? null
                : where.command("publish --paper " + paper + " --commit " + publishOn) + " --json");
        return c;
    }

    /** The text's line for a command the brief has none for yet: what will print it. */
    private static String noCommandYet(String key) {
        return switch (key) {
            case "wait_for_a_result" -> "none yet: nothing was submitted on this direction; `submit` prints the "
                    + "`wait` for yours (`wait_command`)";
            case "publish_a_paper_after_the_wait" -> "none yet: you have submitted nothing on this direction; a decided "
                    + "`wait` prints the `publish` for yours (`publish_command`)";
            default -> "none yet";
        };
    }

    private static String seedProgram(Path dataDir, Seed seed) {
        String path = seed.getManifest().getBrief();
        if (path.isEmpty() || !CommitId.isValid(seed.getCommit())
                || !Files.isDirectory(new NodeLayout(dataDir).repository())) {
            return "";
        }
        try (NodeRepository repo = NodeRepository.open(new NodeLayout(dataDir).repository())) {
            if (!repo.has(seed.getCommit())) {
                return "";
            }
            return repo.readFile(seed.getCommit(), path)
                    .map(b -> Untrusted.clean(new String(b, StandardCharsets.UTF_8), PROGRAM_CHARS)).orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    /** The rule the coordinator applies (docs/architecture.md, "Adoption"), so an agent sizes its gains against it and not against the tolerance alone. */
    public static String adoptionRule(Manifest m) {
        int seeds = Manifests.adoptionSeeds(m);
        if (seeds <= 1) {
            return "- A change is adopted when its replicas agree and it beats the frontier by more than the tolerance.";
        }
        int confirmation = Manifests.confirmationSeeds(m);
        return String.format(Locale.ROOT,
                "- A change is adopted when its replicas agree and, run beside the frontier at the same %d seeds, its mean gain "
                        + "is more than the tolerance and more than %s standard errors of the per-seed gains (a win at one seed "
                        + "alone never passes)%s.",
                seeds, Manifests.significance(m),
                confirmation > 0 ? String.format(Locale.ROOT,
                        "; it is then confirming, and adopted only if it wins again the same way at %d fresh seeds derived "
                                + "from its results", confirmation) : "");
    }
}
