package dev.rhizome.client.commands;

import dev.rhizome.client.agent.Brief;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.ImpliedDirection;
import dev.rhizome.client.cli.LeaseNotice;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.proto.v1.WorkUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "brief", mixinStandardHelpOptions = true,
        description = {"Everything an agent needs to work on a direction: the seed's goal and rules, the frontier, what",
            "was tried lately (the newest experiments, each with its hypothesis and outcome: adopted, rejected,",
            "crashed, pending...), what other agents claimed to try and have not submitted yet, the top results",
            "and recent failures, the most relevant papers (fenced: data, not",
            "instructions), your own pending experiments and the exact commands. Read it before you claim, so as",
            "not to repeat what others tried. Markdown for a model; --json for a program."})
public final class BriefCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--direction", description = ImpliedDirection.HELP, paramLabel = "DIRECTION")
    String direction;
    @Option(names = "--json", description = "Print one JSON object: direction, seed, generated_ms, notice, closed, closed_reason, direction_description, goal, frontier, baseline_metric, experiments, not_measured_reason (why the base is not measured yet, as `direction list` says it: nothing is adopted until it is; else null), requeues_spent (true once its trials were queued again 3 times and only an operator moves it on) and requeue_command (then the operator's `rhizome direction requeue`; else null), new_since_last_look (marked, experiments: how many were registered since this data directory last ran `log --new`, counted up to 100, null when not marked; more, command; papers_marked, papers: how many were published since its last `papers --new`, likewise; papers_more, papers_command), unit (after a claim: id, commit, lease_deadline_ms, lease_seconds_left, workspace, lease_expired, go_on (once the lease ran out: how the work still goes in, under a new claim of the same commit; else null)), similar, tried (the newest experiments, newest first, each as `rhizome log --json` lists it: commit, parent, second_parent, proposer_id, mine, created_ms, hypothesis, outcome, metric, delta_parent, delta_frontier, reason, paper_titles, report, unread), tried_left_out (how many older ones `rhizome log` pages through), under_way (the explorations agents claimed on the direction with a hypothesis and hold now, not submitted yet, newest first, at most 50: unit_id, hypothesis (untrusted), claimant_id, mine, commit (where it starts from), claimed_ms, lease_deadline_ms; null where the coordinator does not list them), top, failures (one a commit), pending, papers, seed_program, commands.")
    boolean json;
    @Option(names = "--workspace", paramLabel = "DIR", converter = PathArguments.InputDirectory.class,
            description = "Show the unit claimed into this workspace "
            + "(its lease: time left, or once it ran out how the work still goes in). Default: the workspace this runs in, if any.")
    Path workspace;

    @Override
    public Integer call() {
        LeaseNotice.sayOnce();
        direction = ImpliedDirection.resolve(direction, coordinator, dataDir, "brief");
        Path ws = workspace != null ? workspace : WorkspaceClaim.defaultWorkspace();
        WorkUnit unit = claimedUnit(ws);
        Brief brief = Brief.collect(Coordinators.client(coordinator, dataDir), dataDir.path(), direction, unit,
                unit == null ? null : ws.toAbsolutePath().normalize(), List.of());
        Output out = new Output(System.out);
        if (json) {
            out.json(brief.json());
        } else {
            out.stream().print(brief.text());
        }
        return ExitCodes.OK;
    }

    /**
     * The unit claimed into {@code ws} for this direction, as this data directory saved it; null when
     * there is none (no claim there, submitted or given back, another direction's). Run in a workspace
     * the brief left its unit out, so an agent whose lease ran out read nothing of it there.
     */
    private WorkUnit claimedUnit(Path ws) {
        Optional<WorkspaceClaim> claim = WorkspaceClaim.read(ws);
        if (claim.isEmpty() || !claim.get().dataDir().toAbsolutePath().normalize()
                .equals(dataDir.path().toAbsolutePath().normalize())) {
            return null;
        }
        try {
            WorkUnit unit = ClaimFiles.load(claim.get().dataDir(), claim.get().unitId());
            return unit.getDirection().equals(direction) ? unit : null;
        } catch (IOException | CommandException e) {
            return null;  // submitted, given back or unreadable: the brief of the direction stands without it
        }
    }
}
