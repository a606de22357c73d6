package dev.rhizome.client.commands;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.agent.ClaimSuccessor;
import dev.rhizome.client.agent.DiffSimilarity;
import dev.rhizome.client.agent.Outcome;
import dev.rhizome.client.agent.OutcomeNextSteps;
import dev.rhizome.client.agent.PaperText;
import dev.rhizome.client.agent.PausedRunners;
import dev.rhizome.client.agent.QueueReason;
import dev.rhizome.client.agent.Research;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.ClaimedUnitOption;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.Interrupts;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.client.cli.StepNotices;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "submit", mixinStandardHelpOptions = true,
        description = {"Submit the HEAD commit of a workspace as an experiment for a claimed EXPLORE unit: it is checked",
            "against the seed's rules (editable files, read-only regions), copied into this data directory's repository",
            "(served to peers by the node running on it), announced and registered with HEAD's real parent(s);",
            "optionally with a paper. --wait then blocks until the network has decided it.",
            "Needs `rhizome node --data-dir <same dir>` running."})
public final class SubmitCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Mixin
    ClaimedUnitOption claimed;
    @Option(names = "--description", description = "What the experiment changes: its hypothesis in `log`, `brief` and `tree` (default: the unit's `claim --hypothesis`, else the commit message's first line).", paramLabel = "TEXT")
    String description;
    @Option(names = "--paper", paramLabel = "FILE", converter = PathArguments.InputFile.class, description = "A markdown paper about this experiment to publish with it.")
    Path paper;
    @Option(names = "--title", description = "The paper's title (default: its first heading).", paramLabel = "TEXT")
    String title;
    @Option(names = "--cites", paramLabel = "PAPER_ID", split = ",",
            description = "Ids of the papers this one builds on (from `rhizome papers --json`).")
    List<String> cites = new ArrayList<>();
    @Option(names = "--keep-lease", description = "Keep the unit's lease to submit more experiments for it.")
    boolean keepLease;
    @Option(names = "--wait", description = "Wait until the experiment is decided and print its outcome.")
    boolean await;
    @Option(names = "--timeout", converter = Bounded.NonNegativeSeconds.class, paramLabel = "SECONDS", defaultValue = "3600",
            description = "With --wait: give up after this long (default ${DEFAULT-VALUE}); exit code 6 (7 at once when "
                    + "every node that can run its evaluations is paused, as `rhizome wait` says).")
    long timeoutSeconds;
    @Option(names = "--json", description = "Print one JSON object: commit, parent, second_parent, direction, paper, paper_id, similar_diffs, wait_command (the `rhizome wait` that follows it to its outcome, from any directory); with --wait, outcome (as `rhizome wait --json`, trial_comparison, confirmation_comparison, queued_reason, waiting_for, open_to_any_ms, waiting_for_independent_runner, publish_command, retry_reason, retry_command, retry_after_s and retry_not_before_ms included) and, not decided, error (timed_out, exit 6; nodes_paused, exit 7), message, hint, option, paused_nodes and resume_command as `rhizome wait --json` has them; refused because this key's commits failed too often (forbidden, \"proposer throttled\"), also retry_after_s (seconds until the coordinator takes its experiments again).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        return claimed.naming(this::run);
    }

    /**
     * The unit to submit under: the workspace's own, or, once its lease is over, the claim of the
     * same commit made since without a workspace (the way on an expired or given-back claim's hint
     * prints: claim again, then submit the workspace), which the workspace then names.
     */
    private String successor(String unitId) throws IOException {
        if (claimed.option() != null) {
            return unitId;  // --unit names the unit to use, whatever it is
        }
        Optional<WorkUnit> next = ClaimSuccessor.of(dataDir.path(), unitId, System.currentTimeMillis());
        if (next.isEmpty()) {
            return unitId;
        }
        return adopt(unitId, next.get());
    }

    /** Refusals that say the unit is over at the coordinator. */
    private static final Set<String> OVER_THERE = Set.of("lease_expired", "unit_closed", "unknown_unit");

    /** Binds {@code next} to the workspace in place of {@code unitId}, saying so; returns its id. */
    private String adopt(String unitId, WorkUnit next) throws IOException {
        ClaimSuccessor.adopt(claimed.workspace(), next, dataDir.path(), coordinator.url());
        System.err.println("rhizome: the lease of unit " + unitId + " (this workspace's claim) is over; submitting under "
                + "unit " + next.getId() + ", claimed since of the same commit " + CommitId.abbreviate(next.getCommit())
                + " without a workspace");
        return next.getId();
    }

    private Integer run() throws IOException, InterruptedException {
        String unitId = successor(claimed.resolve(dataDir, coordinator));
        Research research = new Research(Coordinators.client(coordinator, dataDir), dataDir.path());
        WorkUnit unit;
        try {
            unit = research.load(unitId, claimed.option(), claimed.workspaceOf(unitId));
        } catch (CommandException e) {
            throw paper != null && "already_submitted".equals(e.error()) ? publishInstead(e, unitId) : e;
        }
        String paperText = paper == null ? null : PaperText.read(paper);
        Research.Submission submitted;
        try (StepNotices steps = StepNotices.on(System.err)) {
            try {
                submitted = research.onStep(steps::step).submit(unit, claimed.workspace(), description, title, paperText, cites,
                        keepLease);
            } catch (CommandException e) {
                // the coordinator says the workspace's unit is over where the saved claim looked live:
                // the claim of the same commit made since (the hint's way on) takes the work
                Optional<WorkUnit> next = claimed.option() != null || !OVER_THERE.contains(e.error()) ? Optional.empty()
                        : ClaimSuccessor.insteadOf(dataDir.path(), unit, System.currentTimeMillis());
                if (next.isEmpty()) {
                    throw e;
                }
                unit = research.load(adopt(unit.getId(), next.get()), null, claimed.workspace());
                submitted = research.submit(unit, claimed.workspace(), description, title, paperText, cites, keepLease);
            }
        }
        Research.Submission s = submitted;
        for (DiffSimilarity.Match m : s.similarDiffs()) {
            System.err.printf(Locale.ROOT, "rhizome: warning: experiment %s made nearly the same change "
                    + "(diff similarity %.2f)%n", m.commit(), m.similarity());
        }
        if (await) {
            // the experiment is the coordinator's now: an interruption cuts only the wait, and
            // "run the command again" would answer already_submitted; say where the outcome is
            Interrupts.undoIfInterrupted(() -> waitCut(s.commit()));
            // The answer comes when the wait ends, minutes or an hour from now: say at once that the
            // experiment is in, with its whole commit, for a watcher or an agent that stops early;
            // only now, so a Ctrl-C prompted by this line gets the hint about the wait (InterruptTest).
            System.err.println("rhizome: submitted " + s.commit() + " on " + s.direction()
                    + (s.paperId() != null ? " with paper " + s.paperId() : "") + "; waiting for the network's decision"
                    + " (Ctrl-C stops the wait, not the experiment; `" + waitCommand(s.commit())
                    + "` waits again)");
        }
        Research.Waited waited = await ? research.waitUnlessPaused(s.commit(), null, Duration.ofSeconds(timeoutSeconds),
                m -> System.err.println("rhizome: " + m)) : null;
        ExperimentReport report = waited == null ? null : waited.report();
        Optional<PausedRunners> paused = waited == null ? Optional.empty() : waited.paused();
        Interrupts.handedOver();
        Optional<QueueReason.Queued> whyQueued = report == null || report.getDecided() ? Optional.empty()
                : research.queued(report);
        Output out = new Output(System.out);
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("commit", s.commit());
            o.addProperty("parent", s.parent());
            o.addProperty("second_parent", s.secondParent().isEmpty() ? null : s.secondParent());
            o.addProperty("direction", s.direction());
            o.addProperty("paper", s.paperId() != null);
            o.addProperty("paper_id", s.paperId());
            JsonArray similar = new JsonArray();
            for (DiffSimilarity.Match m : s.similarDiffs()) {
                JsonObject so = new JsonObject();
                so.addProperty("commit", m.commit());
                so.addProperty("similarity", m.similarity());
                similar.add(so);
            }
            o.add("similar_diffs", similar);
            o.addProperty("wait_command", waitCommand(s.commit()));
            if (report != null) {
                JsonObject outcome = Outcome.json(s.commit(), report);
                OutcomeNextSteps.addQueued(outcome, s.commit(), report, whyQueued, research.followUp());
                o.add("outcome", outcome);
                if (!report.getDecided()) {
                    WaitCommand.undecided(o, s.commit(), paused, timeoutSeconds, research.followUp());
                }
            }
            out.json(o);
        } else {
            out.line("submitted " + s.commit() + " on " + s.direction() + " (parent " + s.parent()
                    + (s.secondParent().isEmpty() ? "" : ", merged with " + s.secondParent()) + ")"
                    + (s.paperId() != null ? " with paper " + s.paperId() : ""));
            if (report != null) {
                out.line(Outcome.text(s.commit(), report));
                OutcomeNextSteps.lineQueued(s.commit(), report, whyQueued, research.followUp()).ifPresent(out::line);
                if (!report.getDecided()) {
                    out.line(WaitCommand.undecidedLine(s.commit(), paused, timeoutSeconds, research.followUp()));
                }
            } else {
                out.line("follow it with `" + waitCommand(s.commit()) + "`");
            }
        }
        return report == null ? ExitCodes.OK : WaitCommand.exitCode(report, paused);
    }

    /**
     * A paper given to a unit already submitted: its experiment is in, and the paper, written once
     * the outcome was known, is what `publish` takes. The hint said only "claim again", and no
     * command published a paper after the submit.
     */
    private CommandException publishInstead(CommandException e, String unitId) {
        List<String> submitted = ClaimFiles.submitted(dataDir.path(), unitId);
        String commit = submitted.isEmpty() ? "COMMIT" : submitted.get(submitted.size() - 1);
        return e.withHint("to publish the paper about its experiment: `rhizome publish --paper "
                + Shell.quote(paper.toString()) + " --commit " + commit + "`; " + e.hint());
    }

    /**
     * The wait for this experiment, runnable from any directory: outside the workspace a bare
     * `rhizome wait` asked the default coordinator and data directory, not the claim's.
     */
    private String waitCommand(String commit) {
        return FollowUp.of(coordinator, dataDir).command("wait --commit " + commit);
    }

    /** What an interruption of `--wait` leaves: the experiment submitted, and the command that waits for it. */
    private Interrupts.Undone waitCut(String commit) {
        JsonObject keys = new JsonObject();
        keys.addProperty("commit", commit);
        keys.addProperty("submitted", true);
        return new Interrupts.Undone("experiment " + commit + " was submitted; only the wait for its outcome was cut",
                keys, "wait for its outcome: `" + waitCommand(commit) + " --json` (submitting again answers already_submitted)");
    }
}
