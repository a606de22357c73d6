package dev.rhizome.client.commands;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.rhizome.client.agent.NoResultRetry;
import dev.rhizome.client.agent.Outcome;
import dev.rhizome.client.agent.OutcomeNextSteps;
import dev.rhizome.client.agent.PausedRunners;
import dev.rhizome.client.agent.QueueReason;
import dev.rhizome.client.agent.Research;
import dev.rhizome.client.agent.UnsubmittedCommit;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.client.cli.ImpliedDirection;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.ErrorFields;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.HeldClaims;
import dev.rhizome.client.cli.LeaseNotice;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.proto.v1.ExperimentReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "wait", mixinStandardHelpOptions = true,
        description = {"Block until the network has decided an experiment (no evaluation of it pending), then print",
            "its metric, replicas, delta against its parent and the frontier, and whether it was adopted.",
            "Progress goes to standard error. Exits with 6 when --timeout runs out first, and with 7 at once when every node",
            "that can run its queued evaluations is paused by its volunteer (the answer says whose, and how to resume yours)."})
public final class WaitCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--commit", description = "The experiment's commit (a unique prefix is enough; default: in a claimed "
            + "workspace, the commit its claim was submitted with).", paramLabel = "COMMIT")
    String commit;
    @Option(names = "--direction", description = "Resolve a short --commit within this direction.", paramLabel = "DIRECTION")
    String direction;
    @Option(names = "--timeout", converter = Bounded.NonNegativeSeconds.class, paramLabel = "SECONDS", defaultValue = "3600",
            description = "Give up after this long (default ${DEFAULT-VALUE}).")
    long timeoutSeconds;
    @Option(names = "--json", description = "Print one JSON object: commit, direction, parent, second_parent, decided, valid, given_up, metric_name, lower_is_better, metric (the mean of its OK results in hardware_class, over its trial seeds), replicas (how many OK results that mean is over), hardware_class, parent_metric, delta_parent, frontier_commit, frontier_metric, delta_frontier, adopted, pending_units, leased_units (of pending_units, those a runner holds; the rest are queued), confirmation (null, or state CONFIRMING/CONFIRMED/REFUSED/SUPERSEDED, random_seeds, frontier_commit, reason), trial_comparison and confirmation_comparison (the adoption rule's numbers at each stage, null where the coordinator sent none: decision PASSED/NOT_PASSED/WAITING, frontier_commit, hardware_class, random_seeds, candidate_metrics, frontier_metrics, mean_gain, standard_error, significance, bound, tolerance, seeds_compared, reason), result_statuses, result_reasons (each result's reason, as results shows it, null for an OK one), papers, queued_reason (not decided: why its evaluations stay queued, as far as the coordinator's list of nodes tells; else null), waiting_for (with queued_reason, what they wait for, one of node, direction_open, independent_runner, core_to_spare, hardware_class, node_claiming, free_slot; else null), open_to_any_ms (waiting for core_to_spare: when any node may take them, epoch ms; else null), waiting_for_independent_runner (true while its queued evaluations wait for a node of the seed's hardware class outside its proposer's network, the only fitting nodes seen sharing it; else false), publish_command (decided with an OK result: the `rhizome publish` command for a paper about it; else null), retry_reason and retry_command (decided with no OK result: why, one of crashed, timed_out, refused, not_fetched, no_ok_result, and the `rhizome claim` from its parent that starts the fix; else null), retry_after_s and retry_not_before_ms (with the retry: in how many seconds, and from when, epoch ms, the coordinator takes an experiment from its proposer again; 0 and now when at once, the claim runs at once either way; else null); not decided in time (exit 6), also error (timed_out), message, hint, option; ended early because every node that can run its queued evaluations is paused (exit 7), error nodes_paused; not decided, also paused_nodes (each node_id, hex, and yours: whether it is your key's node; empty unless exit 7) and resume_command (the `rhizome node resume` of your own paused node, else null).")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
        LeaseNotice.sayOnce();
        if (commit == null) {
            commit = submittedHere(dataDir, coordinator, direction);
        }
        Research research = new Research(Coordinators.client(coordinator, dataDir), dataDir.path());
        String full;
        ExperimentReport report;
        Optional<PausedRunners> paused;
        try {
            full = research.resolveCommit("--commit", direction, commit);
            Research.Waited waited = research.waitUnlessPaused(full, "--commit", Duration.ofSeconds(timeoutSeconds),
                    m -> System.err.println("rhizome: " + m));
            report = NoResultRetry.seenBy(waited.report(), research.client().identity().publicId().toByteString());
            paused = waited.paused();
        } catch (CommandException e) {
            // a commit of the user's own checkout, committed and never submitted: say so
            throw UnsubmittedCommit.explain(e, commit, FollowUp.of(coordinator, dataDir));
        }
        Output out = new Output(System.out);
        Optional<QueueReason.Queued> whyQueued = report.getDecided() ? Optional.empty() : research.queued(report);
        if (json) {
            JsonObject o = Outcome.json(full, report);
            if (!report.getDecided()) {
                undecided(o, full, paused, timeoutSeconds, research.followUp());
            }
            OutcomeNextSteps.addQueued(o, full, report, whyQueued, research.followUp());
            out.json(o);
        } else {
            out.line(Outcome.text(full, report));
            OutcomeNextSteps.lineQueued(full, report, whyQueued, research.followUp()).ifPresent(out::line);
            if (!report.getDecided()) {
                out.line(undecidedLine(full, paused, timeoutSeconds, research.followUp()));
            }
        }
        return exitCode(report, paused);
    }

    /** 0 decided; 7 ended early on paused nodes; 6 out of time. */
    static int exitCode(ExperimentReport report, Optional<PausedRunners> paused) {
        return report.getDecided() ? ExitCodes.OK : paused.isPresent() ? ExitCodes.NODES_PAUSED : ExitCodes.TIMED_OUT;
    }

    /** The error of an undecided wait: {@code nodes_paused} with whose nodes, else {@code timed_out}. */
    static void undecided(JsonObject o, String commit, Optional<PausedRunners> paused, long timeoutSeconds,
            FollowUp where) {
        if (paused.isPresent()) {
            paused.get().addTo(o);
        } else {
            timedOut(o, commit, timeoutSeconds, where);
            // the keys are the same whether the wait ended early or not
            o.add("paused_nodes", new JsonArray());
            o.add("resume_command", JsonNull.INSTANCE);
        }
    }

    static String undecidedLine(String commit, Optional<PausedRunners> paused, long timeoutSeconds, FollowUp where) {
        return paused.map(PausedRunners::line).orElseGet(() -> timedOutLine(commit, timeoutSeconds, where));
    }

    /**
     * The commit this workspace's claim was submitted with, said on standard error. A newcomer who
     * ran `submit` in the workspace and then `wait` there was told only "needs --commit COMMIT",
     * though the workspace's claim recorded the one answer.
     */
    private static String submittedHere(DataDirOption dataDir, CoordinatorOption coordinator, String direction) {
        Optional<WorkspaceClaim> claim = WorkspaceClaim.ofWorkingDirectory();
        if (claim.isEmpty()) {
            throw CommandException.usage("--commit", "`rhizome wait` needs --commit COMMIT",
                    HeldClaims.lastSubmitted(FollowUp.of(coordinator, dataDir)).map(s -> s + "; see `rhizome wait --help`")
                            .orElseGet(() -> ImpliedDirection.treeCommandForHint(direction, coordinator, dataDir)
                                    + " shows the commits; see `rhizome wait --help`"));
        }
        String unit = claim.get().unitId();
        List<String> commits = ClaimFiles.submitted(claim.get().dataDir(), unit);
        if (commits.isEmpty()) {
            throw CommandException.usage("--commit", "--commit is missing, and this workspace's claim (unit " + unit
                    + ") is not submitted yet", "commit, then `rhizome submit --wait` here submits HEAD and waits for it");
        }
        String taken = commits.get(commits.size() - 1);
        System.err.println("rhizome: --commit " + taken + " (submitted with this workspace's claim, unit " + unit + ")");
        return taken;
    }

    static void timedOut(JsonObject o, String commit, long timeoutSeconds, FollowUp where) {
        ErrorFields.put(o, "timed_out", timedOutMessage(commit, timeoutSeconds), waitAgain(commit, where));
    }

    /**
     * The text answer's last line when time ran out: it was the outcome alone ("not decided yet"),
     * exit 6, with no word of the timeout or of what to do next, which `--json` had.
     */
    static String timedOutLine(String commit, long timeoutSeconds, FollowUp where) {
        return timedOutMessage(commit, timeoutSeconds) + " (exit 6): " + waitAgain(commit, where);
    }

    private static String timedOutMessage(String commit, long timeoutSeconds) {
        return "experiment " + commit + " was not decided within " + timeoutSeconds + " s";
    }

    private static String waitAgain(String commit, FollowUp where) {
        return "wait again with `" + where.command("wait --commit " + commit) + "`";
    }
}
