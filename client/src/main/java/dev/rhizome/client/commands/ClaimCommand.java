package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.agent.Brief;
import dev.rhizome.client.agent.Research;
import dev.rhizome.client.agent.UnitGiveBack;
import dev.rhizome.client.agent.Untrusted;
import dev.rhizome.client.agent.WorkspacelessClaims;
import com.google.gson.JsonArray;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.NewWorkspace;
import dev.rhizome.client.cli.HelpText;
import dev.rhizome.client.cli.ImpliedDirection;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.ErrorFields;
import dev.rhizome.client.cli.ErrorReporter;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.Interrupts;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.client.cli.StepNotices;
import dev.rhizome.client.cli.UnhandedClaims;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.client.cli.WorkspaceLock;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "claim", mixinStandardHelpOptions = true,
        description = {"Claim a work unit: an EXPLORE unit, to propose a change (evaluations are a node's work).",
            "--workspace fetches its commit (the direction's frontier,",
            "or --from COMMIT) from peers and checks it out as a git workspace to edit and commit in; the brief",
            "(`rhizome brief`) is written next to the claim and printed. Then `rhizome submit` it.",
            "Exits with 3 when there is no work right now, saying why and when to retry; with 4 (direction_closed)",
            "when the direction is closed, which no retry changes."})
public final class ClaimCommand implements Callable<Integer> {
    enum Kind { explore, evaluate }

    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--kind", defaultValue = "explore", description = "explore (the default). evaluate is refused (exit 2, evaluate_needs_node): only a node "
                    + "(`rhizome node`) runs and reports evaluations, so a unit leased here would stay leased to nobody.",
            paramLabel = "explore|evaluate")
    Kind kind;
    @Option(names = "--direction", description = "A unit of this direction (an unknown one is an error). Default: "
            + "that of the claim in the workspace this runs in, else the coordinator's only open direction; with several "
            + "open, the claim is refused naming them (exit 2), never picked for you; with none open, exit 3 (no_work).",
            paramLabel = "DIRECTION")
    String direction;
    @Option(names = "--from", paramLabel = "COMMIT",
            description = "Branch from this registered commit of the direction instead of its frontier (a unique prefix is enough).")
    String from;
    /** A hypothesis left as the brief printed it: {@code <one sentence>}. */
    private static final java.util.regex.Pattern UNFILLED = java.util.regex.Pattern.compile("<[^<>]*>");
    @Option(names = "--hypothesis", paramLabel = "SENTENCE",
            description = "What you mean to try; the coordinator warns when recent work on the direction looks the same, and `submit` registers it as the experiment's description unless given --description.")
    String hypothesis;
    @Option(names = "--hardware-class", defaultValue = "any", description = "Hardware class to claim for (default ${DEFAULT-VALUE}: any). " + HelpText.HARDWARE_CLASS, paramLabel = "CLASS")
    String hardwareClass;
    @Option(names = "--wait", converter = Bounded.NonNegativeSeconds.class, defaultValue = "0", paramLabel = "SECONDS",
            description = "When no unit fits now, let the coordinator hold the claim up to this long (at most 20) "
                    + "for one to open, instead of answering no work at once (default ${DEFAULT-VALUE}).")
    long waitS;  // in seconds, with or without a unit (20s), as every option in seconds takes
    @Option(names = "--workspace", paramLabel = "DIR", converter = PathArguments.WorkspaceDirectory.class, description = "Check the unit's commit out here (must not exist or be empty).")
    Path workspace;
    @Option(names = "--json", description = "Print one JSON object: unit (the WorkUnit: id, commit, lease_deadline_ms, manifest, ...), lease_seconds_left, renew_command (the `rhizome renew` that extends the lease before lease_deadline_ms, from any directory: nothing renews a hand claim), workspace, brief, seed_brief, similar, resumed (true: the unit of an earlier claim of this --data-dir, killed before it printed it, that asked the same); similar entries carry mine (true: your own earlier claim or experiment), commits and experiments (commit, outcome as `rhizome wait --json`, paper_titles, unread), experiments_left_out; held_without_workspace (the earlier claims of this --data-dir made without --workspace and still held: unit, direction, commit, lease_seconds_left, unclaim_command); with no work (exit 3): unit (null), reason, retry_after_s, error, message, hint, option.")
    boolean json;

    /** What to do when no unit came: wait and claim again (a closed direction is the {@code direction_closed} error). */
    public static String noWorkHint(String reason, long retryAfterS, FollowUp where) {
        if (reason.startsWith("no direction is open")) {
            return "claim again in " + retryAfterS + " s, once one is open; "
                    + Coordinators.noDirectionHint(where);
        }
        return "claim again in " + retryAfterS + " s";
    }

    @Override
    public Integer call() throws IOException {
        if (kind == Kind.evaluate) {
            // Only a node runs an evaluation (in its sandbox, through the seed's harness) and only
            // a node reports its signed result: a unit leased here would stay leased to nobody
            // until its deadline, holding back a replica the network needs. Refused before asking.
            throw new CommandException(ExitCodes.USAGE, "evaluate_needs_node",
                    "`claim --kind evaluate` would lease an evaluation that no `rhizome` command can run or report: "
                            + "evaluations are claimed, run and reported by a node",
                    "to evaluate, run a node: `rhizome node --data-dir " + Shell.quote(dataDir.path().toAbsolutePath())
                            + " --coordinator " + Shell.quote(coordinator.url()) + "` (see `rhizome node --help`); "
                            + "to propose a change, `rhizome claim --direction "
                            + Shell.quote(ImpliedDirection.forHint(direction, coordinator)) + " --workspace DIR`", "--kind");
        }
        if (hypothesis != null && UNFILLED.matcher(hypothesis.strip()).matches()) {
            // the brief's claim says `--hypothesis '<one sentence>'`, which a shell passes as written: copied
            // unfilled, it became what the experiment was said to try, compared with everyone's work
            throw CommandException.usage("--hypothesis", "--hypothesis '" + hypothesis.strip() + "' is a placeholder "
                    + "to fill in, not a hypothesis", "write the one sentence you mean to try in its place, e.g. "
                    + "--hypothesis 'halve the learning rate'");
        }
        if (workspace != null && !Files.exists(workspace) && workspace.toAbsolutePath().getParent() != null
                && Files.exists(workspace.toAbsolutePath().getParent())
                && !Files.isWritable(workspace.toAbsolutePath().getParent())) {
            throw CommandException.usage("--workspace", "--workspace " + workspace
                    + ": cannot create it (its parent directory is not writable)", "give a directory you can write");
        }
        if (waitS < 0 || waitS > Research.MAX_CLAIM_WAIT_S) {
            throw CommandException.usage("--wait", "--wait is " + waitS + " s; it must be 0 to "
                    + Research.MAX_CLAIM_WAIT_S, "give --wait between 0 and " + Research.MAX_CLAIM_WAIT_S);
        }
        if (from != null && direction == null) {
            throw CommandException.usage("--direction", "--from needs --direction",
                    "add --direction " + Shell.quote(ImpliedDirection.forHint(null, coordinator))
                            + " (the direction the commit belongs to)");
        }
        if (workspace == null) {
            return claim();
        }
        // taken before the emptiness check and the lease, and held until the answer: a second
        // claim into the same directory is refused at once rather than leasing and filling it too
        try (WorkspaceLock taken = WorkspaceLock.take(workspace, FollowUp.of(coordinator, dataDir))) {
            requireEmpty(workspace);
            return claim();
        }
    }

    private void requireEmpty(Path workspace) throws IOException {
        if (Files.isDirectory(workspace)) {
            try (var entries = Files.list(workspace)) {
                if (entries.findAny().isPresent()) {
                    Optional<WorkspaceClaim> recorded = WorkspaceClaim.read(workspace);
                    if (recorded.isEmpty()) {
                        throw notEmpty(workspace, "", "give a new or empty directory");
                    }
                    WorkspaceClaim claim = recorded.get();
                    CommandException state = stateOf(claim);
                    if (state == null) {
                        throw notEmpty(workspace, ": it is the workspace of unit " + claim.unitId() + ", claimed already",
                                "to go on with that unit, commit there and `rhizome submit --workspace "
                                        + Shell.quote(workspace) + "`; for a new claim, give a new or empty directory");
                    }
                    if (state.error().equals("already_submitted") || state.error().equals("given_back")) {
                        // its unit was submitted or given back: "commit there and submit" was wrong
                        // advice (the submit is refused as already_submitted)
                        throw notEmpty(workspace, ": it is the workspace of an earlier claim; " + state.getMessage(),
                                state.hint());
                    }
                    if (!state.error().equals("unknown_unit")) {
                        throw notEmpty(workspace, ": it is the workspace of unit " + claim.unitId() + ", whose claim in "
                                + claim.dataDir() + " cannot be read: " + state.getMessage(),
                                "give a new or empty directory for a new claim");
                    }
                    // the data directory that claimed it holds no such claim (removed, replaced, or
                    // the record copied in): a submit there is refused as unknown_unit, so
                    // "commit there and submit" was wrong advice too
                    String hintDirection = Shell.quote(ImpliedDirection.forHint(direction, coordinator));
                    throw notEmpty(workspace, ": it is the workspace of unit " + claim.unitId() + ", whose claim "
                            + claim.dataDir() + " (the data directory that claimed it) does not hold",
                            "nothing can be submitted under unit " + claim.unitId() + " from there; give a new or empty "
                                    + "directory for a new claim (`" + FollowUp.of(coordinator, dataDir).command(
                                            "claim --direction " + hintDirection + " --workspace "
                                            + NewWorkspace.beside(workspace.getFileName() + "-new")) + "`); to submit "
                                    + "commits of " + Shell.quote(workspace) + ", claim the registered commit they are "
                                    + "on again (`rhizome claim --direction " + hintDirection + " --from` and that "
                                    + "commit, with --json and without --workspace), then `rhizome submit --workspace "
                                    + Shell.quote(workspace) + " --unit` and that claim's unit.id");
                }
            }
        }
    }

    private static CommandException notEmpty(Path workspace, String why, String hint) {
        return new CommandException(ExitCodes.USAGE, "workspace_not_empty", "--workspace " + workspace + " is not empty"
                + why, hint, "--workspace");
    }

    /**
     * What the data directory that made {@code claim} says of it: null while it holds the claim
     * (live), else the refusal a command meets there ({@code already_submitted}, {@code given_back},
     * {@code unknown_unit}, or the failure to read it).
     */
    private static CommandException stateOf(WorkspaceClaim claim) {
        try {
            ClaimFiles.load(claim.dataDir(), claim.unitId());
            return null;
        } catch (CommandException e) {
            return e;
        } catch (IOException e) {
            return new CommandException(ExitCodes.FAILED, "failed", "cannot read the claim of unit " + claim.unitId()
                    + " in " + claim.dataDir() + ": " + Problems.describe(e), "");
        }
    }

    /** Who gives back a unit a killed `rhizome claim` was leased and never handed over, in words. */
    static final String UNHANDED_BY = "`rhizome claim` (its process died before it handed the unit over)";

    /**
     * The units earlier `rhizome claim`s of this data directory were leased and saved but died
     * before printing ({@link UnhandedClaims}): the first that asked what this claim asks, its lease
     * still running, is this claim's answer (said on stderr, and {@code resumed} in its JSON); the
     * others are given back, each said on stderr. Null when none is taken over. A give-back that
     * fails leaves its mark, for the next claim to try again.
     */
    private WorkUnit takeOverUnhanded(Research research) throws IOException {
        List<UnhandedClaims.Unhanded> dead = UnhandedClaims.takeOverDead(dataDir.path());
        if (dead.isEmpty()) {
            return null;
        }
        UnhandedClaims.Asked wanted = research.asked(direction, from, hypothesis, hardwareClass);
        WorkUnit kept = null;
        for (UnhandedClaims.Unhanded u : dead) {
            WorkUnit unit;
            try {
                unit = ClaimFiles.load(dataDir.path(), u.unitId());
            } catch (CommandException e) {
                UnhandedClaims.handedOver(dataDir.path(), u.unitId());
                continue;
            }
            String earlier = "unit " + u.unitId() + " was leased to an earlier `rhizome claim` (pid " + u.pid()
                    + ") killed before it handed the unit over";
            boolean live = unit.getLeaseDeadlineMs() > System.currentTimeMillis() + 60_000
                    && !ClaimFiles.isGivingBack(dataDir.path(), u.unitId());
            if (kept == null && live && u.asked().equals(wanted)) {
                kept = unit;
                System.err.println("rhizome: " + earlier + "; it asked what this claim asks, so it is this claim's unit");
                continue;
            }
            try {
                research.giveBack(unit, UNHANDED_BY);
                UnhandedClaims.handedOver(dataDir.path(), u.unitId());
                System.err.println("rhizome: " + earlier + "; it was given back (this claim asks something else)");
            } catch (CommandException e) {
                System.err.println("rhizome: warning: " + earlier + " and cannot be given back now (" + e.getMessage()
                        + "); the next `rhizome claim` of this --data-dir tries again");
            }
        }
        return kept;
    }

    private Integer claim() throws IOException {
        CoordinatorClient client = Coordinators.client(coordinator, dataDir);
        try {
            direction = ImpliedDirection.resolveForClaim(direction, client, FollowUp.of(coordinator, dataDir));
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e, client, null, FollowUp.of(coordinator, dataDir));
        }
        Research research = new Research(client, dataDir.path());
        UnitGiveBack giveBack = new UnitGiveBack(research, workspace, "it had not been handed to you yet",
                "`rhizome claim`, which did not finish");
        Interrupts.undoIfInterrupted(giveBack);
        ClaimResponse response = null;
        boolean resumed = false;
        // A claim on a loaded machine, or one the coordinator holds until work opens (--wait), was
        // seconds of silence: each step that runs past a few seconds is named on standard error.
        StepNotices steps = StepNotices.on(System.err);
        try {
            research.markUnitsUnhanded();
            WorkUnit left = takeOverUnhanded(research);
            resumed = left != null;
            steps.step(waitS > 0 ? "asking the coordinator for a unit (it holds the claim up to " + waitS
                    + " s until work opens)" : "asking the coordinator for a unit");
            response = resumed ? ClaimResponse.newBuilder().setUnit(left).build()
                    : research.claimExplore(direction, from, hypothesis, hardwareClass, (int) waitS);
        } catch (RuntimeException | Error e) {
            steps.close();
            throw e;
        } finally {
            // null when the claim failed or leased nothing: nothing to give back
            giveBack.granted(response != null && response.hasUnit() ? response.getUnit() : null);
        }
        Output out = new Output(System.out);
        if (!response.hasUnit()) {
            steps.close();
            Interrupts.handedOver();
            String reason = response.getReason().isEmpty() ? "no work available right now" : response.getReason();
            if (json) {
                JsonObject o = new JsonObject();
                o.add("unit", null);
                o.addProperty("reason", reason);
                o.addProperty("retry_after_s", response.getRetryAfterS());
                ErrorFields.put(o, "no_work", reason, noWorkHint(reason, response.getRetryAfterS(), FollowUp.of(coordinator, dataDir)));
                out.json(o);
            } else {
                out.line("no work: " + reason + "; " + noWorkHint(reason, response.getRetryAfterS(), FollowUp.of(coordinator, dataDir)));
            }
            return ExitCodes.NO_WORK;
        }
        WorkUnit unit = response.getUnit();
        Path briefFile = null;
        Brief brief = null;
        try {
            CrashPoints.at(CrashPoints.CLAIM_KEPT);
            if (workspace == null) {
                WorkspacelessClaims.mark(dataDir.path(), unit.getId());
            }
            if (workspace != null) {
                steps.step("checking out " + CommitId.abbreviate(unit.getCommit()) + " into " + workspace);
                research.checkout(unit, workspace);
                try {
                    new WorkspaceClaim(unit.getId(), dataDir.path(), coordinator.url()).write(workspace);
                } catch (IOException e) {
                    System.err.println("rhizome: warning: cannot record the claim in " + workspace
                            + " (submit and renew there will need --unit): " + Problems.describe(e));
                }
            }
            steps.step("writing the brief (the direction's goal, results and papers)");
            brief = Brief.collect(client, dataDir.path(), unit.getDirection(), unit, workspace, response.getSimilarList());
            briefFile = brief.write(research.unitDir(unit.getId()).resolve("BRIEF.md"));
            steps.close();
        } catch (RuntimeException | IOException e) {
            steps.close();
            // give the unit back at once: a lease nobody can use would hold the direction's share
            // of EXPLORE capacity until it ran out (a workspace that cannot be filled, a brief
            // that cannot be written, the coordinator gone in between)
            throw giveBack.failed(ErrorReporter.explain(e));
        }
        // from here the unit is the user's: an interruption no longer gives it back. Its unhanded
        // mark stays until the answer is written out whole (below): removed before the print, a
        // kill in between left the unit leased to a user who never saw it, and no later claim knew
        Interrupts.handedOver();
        print(out, unit, resumed, briefFile, brief, response);
        if (out.stream().checkError()) {
            // the answer did not reach stdout (a closed pipe): the mark stays, and the next claim
            // of this data directory takes the unit over as a dead claim's, as after a kill
            System.err.println("rhizome: cannot write the answer to stdout; unit " + unit.getId()
                    + " stays marked unhanded, for the next `rhizome claim` of this --data-dir to resume or give back");
            return ExitCodes.FAILED;
        }
        CrashPoints.at(CrashPoints.CLAIM_PRINTED);
        UnhandedClaims.handedOver(dataDir.path(), unit.getId());
        return ExitCodes.OK;
    }

    /**
     * The command that extends the unit's lease. Said up front: an EXPLORE lease is twice the seed's
     * job timeout (4.5 minutes for tiny-lm), shorter than an agent working by hand, who learned of
     * `renew` only from reads warning in its last 2 minutes. It names the data directory holding the
     * claim's key and the coordinator that leased it, so it runs as copied from any directory.
     */
    private String renewCommand(WorkUnit unit) {
        return FollowUp.of(coordinator, dataDir).command("renew --unit " + unit.getId());
    }

    private String unclaimCommand(WorkUnit unit) {
        return FollowUp.of(coordinator, dataDir).command("unclaim --unit " + unit.getId());
    }

    private List<WorkUnit> heldWithoutWorkspace(WorkUnit claimed) {
        return WorkspacelessClaims.held(dataDir.path(), claimed.getId(), System.currentTimeMillis());
    }

    /**
     * An earlier claim of this data directory with nothing checked out, still held: a second claim
     * (for a workspace) left it leased unseen until it ran out, holding a unit of the direction.
     */
    private String heldWithoutWorkspaceLine(WorkUnit other) {
        return "note: " + dataDir.path() + " still holds unit " + other.getId() + " on " + other.getDirection()
                + " (claimed earlier without --workspace, at " + CommitId.abbreviate(other.getCommit())
                + "); this claim is a second unit. Give that one back: `" + unclaimCommand(other) + "`; or submit a commit on it: "
                + "`" + FollowUp.of(coordinator, dataDir).command("submit --unit " + other.getId()) + "` run in the git "
                + "checkout that holds it";
    }

    /** Writes the claimed unit's answer (JSON or text) and flushes it. */
    private void print(Output out, WorkUnit unit, boolean resumed, Path briefFile, Brief brief, ClaimResponse response) {
        long left = Math.max(0, (unit.getLeaseDeadlineMs() - System.currentTimeMillis()) / 1000);
        if (json) {
            JsonObject o = new JsonObject();
            o.add("unit", Output.toJson(unit));
            o.addProperty("lease_seconds_left", left);
            o.addProperty("renew_command", renewCommand(unit));
            o.addProperty("resumed", resumed);
            o.addProperty("workspace", workspace == null ? null : workspace.toAbsolutePath().toString());
            o.addProperty("brief", briefFile == null ? null : briefFile.toString());
            o.addProperty("seed_brief", workspace == null || unit.getManifest().getBrief().isEmpty() ? null
                    : workspace.toAbsolutePath().resolve(unit.getManifest().getBrief()).toString());
            // each with the experiments it registered and their outcomes (as `wait`), read for the brief
            o.add("similar", brief.similarWork().json(300));
            JsonArray heldBare = new JsonArray();
            for (WorkUnit other : heldWithoutWorkspace(unit)) {
                JsonObject h = new JsonObject();
                h.addProperty("unit", other.getId());
                h.addProperty("direction", other.getDirection());
                h.addProperty("commit", other.getCommit());
                h.addProperty("lease_seconds_left", Math.max(0, (other.getLeaseDeadlineMs() - System.currentTimeMillis()) / 1000));
                h.addProperty("unclaim_command", unclaimCommand(other));
                heldBare.add(h);
                System.err.println("rhizome: " + heldWithoutWorkspaceLine(other));
            }
            o.add("held_without_workspace", heldBare);
            out.json(o);
        } else {
            for (WorkUnit other : heldWithoutWorkspace(unit)) {
                out.line(heldWithoutWorkspaceLine(other));
            }
            out.line("claimed " + unit.getKind() + " unit " + unit.getId() + " on " + unit.getDirection()
                    + " at " + CommitId.abbreviate(unit.getCommit()) + ", lease until "
                    + Instant.ofEpochMilli(unit.getLeaseDeadlineMs()) + " (" + left + " s left)");
            out.line("the lease is yours only until then, and nothing renews a hand claim: run `" + renewCommand(unit)
                    + "` before it ends (each renewal gives a full lease again from then), or the unit goes to another claimant");
            if (!brief.similarWork().isEmpty()) {
                int own = brief.similarWork().mineCount();
                out.line("warning: " + brief.similarWork().size() + " recent hypotheses or experiments on "
                        + unit.getDirection() + " look like yours" + (own == 0 ? "" : " (" + own + " of them your own earlier work)")
                        + " (" + brief.similarWork().tally()
                        + "); see what came of them under \"Similar work\" in the brief");
            }
            if (workspace != null) {
                out.line("workspace: " + workspace.toAbsolutePath() + " (commit your change, then `rhizome submit --unit "
                        + unit.getId() + " --workspace " + Shell.quote(workspace) + " --wait`; or give it back: `"
                        + unclaimCommand(unit) + "`)");
            }
            if (workspace == null) {
                // without --workspace nothing was checked out: a newcomer held a lease with nothing to
                // edit and no word of how to get a checkout
                // every command as it runs: `--workspace DIR` and `THAT_DIR` were taken as written
                out.line("no workspace: nothing was checked out (--workspace with a new directory does that); to work "
                        + "on this unit, give it back (`" + unclaimCommand(unit) + "`) and claim again into a new "
                        + "directory (`" + FollowUp.of(coordinator, dataDir).command("claim --direction "
                                + Shell.quote(unit.getDirection()) + " --workspace "
                                + NewWorkspace.beside(unit.getDirection() + "-" + CommitId.abbreviate(unit.getCommit())))
                        + "`); to submit a commit on " + CommitId.abbreviate(unit.getCommit())
                        + " from a git checkout you have, run `" + FollowUp.of(coordinator, dataDir).command("submit --unit "
                                + unit.getId()) + "` in it. The lease is held until you do either: a later claim holds a second unit");
            }
            if (brief != null) {
                out.line("brief: " + briefFile);
                out.line("");
                out.stream().print(brief.text());
            }
        }
        out.stream().flush();
    }
}
