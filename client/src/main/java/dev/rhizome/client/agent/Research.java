package dev.rhizome.client.agent;

import com.google.protobuf.ByteString;
import dev.rhizome.client.cli.Announce;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.UnhandedClaims;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.ImpliedDirection;
import dev.rhizome.client.cli.Unknown;
import dev.rhizome.client.cli.NearCommits;
import dev.rhizome.client.cli.Sentences;
import dev.rhizome.client.cli.Suggestions;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.client.cli.NewWorkspace;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.coordinator.core.RecordBounds;
import dev.rhizome.node.NodeEndpoint;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.disk.DataJanitor;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.Workspaces;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.node.work.CommitFetcher;
import dev.rhizome.node.work.CommitPolicy;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.Status;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.RevCommit;

/**
 * What an agent does with the network, shared by `claim`, `submit`, `renew`, `wait` and `agent`:
 * each step checks what it can locally first and fails with an error an agent can act on.
 */
public final class Research {
    private final CoordinatorClient client;
    private final Path dataDir;
    /** Told of each step a submission takes, as it starts (the CLI names one that runs long). */
    private volatile Consumer<String> steps = step -> {
    };

    public Research(CoordinatorClient client, Path dataDir) {
        this.client = client;
        this.dataDir = dataDir;
    }

    /** Who is told of each step {@link #submit} takes, as it starts (a phrase; the default: nobody). */
    public Research onStep(Consumer<String> steps) {
        this.steps = steps == null ? step -> {
        } : steps;
        return this;
    }

    public CoordinatorClient client() {
        return client;
    }

    /** Experiments read for near-duplicates: more than DiffSimilarity compares, all a long history need not be. */
    static final int RECENT_EXPERIMENTS = 1000;

    public Path dataDir() {
        return dataDir;
    }

    /** The longest a claim may wait at the coordinator for work to open (docs/api.md "Claims that wait"). */
    public static final int MAX_CLAIM_WAIT_S = 20;

    /** Asks for an EXPLORE unit; an unknown direction or commit is an error, no work is an answer. */
    public ClaimResponse claimExplore(String direction, String fromCommit, String hypothesis, String hardwareClass) {
        return claimExplore(direction, fromCommit, hypothesis, hardwareClass, 0);
    }

    /**
     * As above, letting the coordinator hold the claim up to {@code waitS} seconds until work
     * opens; an answer with {@code waited} set says it held it that long in vain.
     */
    public ClaimResponse claimExplore(String direction, String fromCommit, String hypothesis, String hardwareClass,
            int waitS) {
        ClaimRequest.Builder request = ClaimRequest.newBuilder()
                .setNode(client.identity().publicId().toByteString())
                .setHardwareClass(hardwareClass)
                .addKinds(WorkUnit.Kind.EXPLORE)
                .setTimeMs(System.currentTimeMillis())
                .setWaitS(Math.max(0, Math.min(MAX_CLAIM_WAIT_S, waitS)));
        if (direction != null) {
            request.setDirection(direction);
        }
        if (fromCommit != null) {
            request.setFromCommit(resolveCommit("--from", direction, fromCommit));
        }
        if (hypothesis != null) {
            request.setHypothesis(hypothesis.strip());
        }
        asking = new UnhandedClaims.Asked(request.getDirection(), request.getFromCommit(), request.getHypothesis(),
                request.getHardwareClass());
        try {
            ClaimResponse response = claimWithJournal(request.build());
            if (response.getDirectionClosed()) {
                // not "no work yet": no wait reopens it, so neither exit 3 nor a retry_after_s to obey
                throw new CommandException(ExitCodes.REFUSED, "direction_closed", response.getReason(),
                        "an operator closed " + direction + " for good (its history stays readable: " + treeCommand(direction)
                                + "); pick an open direction from `" + followUp().command("direction list") + "`");
            }
            return response;
        } catch (CoordinatorException e) {
            CommandException failure = Coordinators.failure(e, client, direction, "--direction", followUp());
            if (failure.error().equals("not_found") && fromCommit != null) {
                // the direction is there (else unknown_direction): what was not found is --from's commit
                throw unknownCommit("--from", direction, request.getFromCommit(), followUp());
            }
            throw failure;
        }
    }

    /** Where this key's commands keep their claims until answered ({@link #claimWithJournal}). */
    public static Path claimsInFlight(Path dataDir) {
        return dataDir.resolve("claims-in-flight");
    }

    /** Who gives back a unit a dead command's claim leased and no claim here asks for. */
    static final String ORPHAN = "`rhizome claim` (its process died before the claim's answer came)";

    /**
     * Claims with the claim kept on disk until answered, so that a command killed after the
     * coordinator leased a unit and before the answer came strands nothing: the next claim of the
     * same key and data directory sends that claim again and gets its unit, which it keeps when it
     * asks the same (direction, commit, hypothesis, class) or gives back when it asks something else.
     */
    private ClaimResponse claimWithJournal(ClaimRequest request) throws CoordinatorException {
        client.keepClaimsOfThisProcessIn(claimsInFlight(dataDir));
        client.resendUnansweredUnlike(request, orphan -> {
            try {
                giveBack(orphan, ORPHAN);
            } catch (CommandException e) {
                // left in the journal: the next claim of this key gives it back; this claim goes on
                throw new IOException(e.getMessage());
            }
        });
        try {
            // the claim leaves the journal only once its unit is saved where `submit` finds it
            return client.claim(request, this::saveOrGiveBack);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "failed", "cannot save the claim in " + dataDir + ": "
                    + e.getMessage(), "make " + dataDir + " writable (or pass another --data-dir) and claim again");
        }
    }

    /**
     * Marks each unit this process is leased as not handed over yet ({@link UnhandedClaims}), until
     * the caller prints it: `rhizome claim`, which checks it out first.
     */
    public void markUnitsUnhanded() {
        markUnhanded = true;
    }

    private boolean markUnhanded;
    /** What the claim being sent asks, for its unit's unhanded mark. */
    private UnhandedClaims.Asked asking;

    /** What a claim of these would ask, as {@link #claimExplore} sends it (the commit resolved). */
    public UnhandedClaims.Asked asked(String direction, String fromCommit, String hypothesis, String hardwareClass) {
        return new UnhandedClaims.Asked(direction, fromCommit == null ? null : resolveCommit("--from", direction, fromCommit),
                hypothesis, hardwareClass);
    }

    /** Saves a unit handed out; one that cannot be saved, which no `submit` could answer, is given back. */
    private void saveOrGiveBack(WorkUnit unit) throws IOException {
        try {
            if (markUnhanded) {
                // before the claim: killed once it is saved, the next claim finds it by its mark
                UnhandedClaims.mark(dataDir, unit.getId(), asking);
            }
            ClaimFiles.save(dataDir, unit);
            if (asking != null && !asking.hypothesis().isEmpty()) {
                ClaimFiles.saveHypothesis(dataDir, unit.getId(), asking.hypothesis());
            }
        } catch (IOException e) {
            try {
                client.exploreDone(ExploreDone.newBuilder().setWorkUnitId(unit.getId())
                        .setNode(client.identity().publicId().toByteString())
                        .setTimeMs(System.currentTimeMillis()).build());
            } catch (CoordinatorException notGiven) {
                throw e;  // its claim stays in the journal: the next claim of this key gets it or gives it back
            }
            throw new IOException(e.getMessage() + " (the unit was given back)", e);
        }
    }

    /** The tree command for the direction, named when known (the hint said `--direction D` for `claim --direction lr`). */
    static String treeCommand(String direction, FollowUp where) {
        return "`" + where.command("tree --direction " + (direction == null ? "D" : Shell.quote(direction))) + "`";
    }

    private String treeCommand(String direction) {
        return treeCommand(direction, followUp());
    }

    /**
     * {@code unknown_commit} (exit 2), naming {@code option} (null: the commit came from no option):
     * {@code id}, a full id or a prefix, names no registered commit (of {@code direction}, when
     * not null). A full id the coordinator answered "not found" for is told so too: it was
     * {@code not_found} with no option, a prefix of it {@code unknown_commit} naming the option.
     */
    public static CommandException unknownCommit(String option, String direction, String id, FollowUp where) {
        return unknownCommit(option, direction, id, List.of(), direction, where);
    }

    private CommandException unknownCommit(String option, String direction, String id, List<String> registered,
            String treeDirection) {
        return unknownCommit(option, direction, id, registered, treeDirection, followUp());
    }

    /** Its hint offers those of {@code registered} a slip away from {@code id}, and the tree command of {@code where}. */
    private static CommandException unknownCommit(String option, String direction, String id, List<String> registered,
            String treeDirection, FollowUp where) {
        return Unknown.error("commit", "no registered commit"
                + (direction == null ? "" : " of direction " + direction)
                + (CommitId.isValid(id) ? " is " : " starts with ") + id,
                Sentences.join(Suggestions.phrase(NearCommits.of(id, registered)),
                        "list the direction's commits with " + treeCommand(treeDirection, where)), option);
    }

    /**
     * The direction a hint's `rhizome tree` names: the one given, else the coordinator's only one
     * (`wait --commit` outside a workspace was told `--direction D` on a network of one direction).
     */
    private String treeDirection(String direction) {
        if (direction != null) {
            return direction;
        }
        try {
            var directions = client.directions().getDirectionsList();
            return directions.size() == 1 ? directions.get(0).getDirection().getName() : null;
        } catch (CoordinatorException e) {
            return null;
        }
    }

    /**
     * {@code unknown_commit} for a commit the coordinator has no experiment of. A direction's base
     * (`rhizome tree` lists it first, `claim` checks it out) was told "no registered commit", which
     * a new user, having just seen it in the tree, could not make sense of: it is said for what it is.
     */
    private CommandException notAnExperiment(String option, String commit) {
        List<String> based;
        try {
            based = client.directions().getDirectionsList().stream()
                    .filter(d -> d.getDirection().getBaseCommit().equals(commit))
                    .map(d -> d.getDirection().getName()).toList();
        } catch (CoordinatorException e) {
            based = List.of();  // the plain answer then: it is no experiment either way
        }
        if (based.isEmpty()) {
            return unknownCommit(option, null, commit, registeredOrNone(null), treeDirection(null));
        }
        String direction = based.get(0);
        return new CommandException(ExitCodes.USAGE, "unknown_commit", commit + " is the base of direction "
                + String.join(", ", based) + ", not a submitted experiment: nothing is evaluated for it to wait for",
                "wait for a commit you submitted (`rhizome submit` prints it); the base's metric is in "
                        + "`" + followUp().command("brief --direction " + Shell.quote(direction)) + "` and " + treeCommand(direction), option);
    }

    /**
     * Whether {@code commit} (a full id) is a registered experiment or a direction's base (of
     * {@code direction}, when not null): what an empty answer about it is checked with.
     */
    public boolean registered(String direction, String commit) {
        try {
            return candidates(direction).contains(commit);
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e, client, direction, "--direction", followUp());
        }
    }

    /** {@link #unknownCommit(String, String, String)} for a full id, offering the registered commits it is a slip away from. */
    public CommandException unknownCommitNearest(String option, String direction, String id) {
        return unknownCommit(option, direction, id, registeredOrNone(direction), treeDirection(direction));
    }

    /** The registered commits to offer for a typo, or none when they cannot be read: the error is the same without them. */
    private List<String> registeredOrNone(String direction) {
        try {
            return candidates(direction);
        } catch (CoordinatorException | CommandException e) {
            return List.of();
        }
    }

    private List<String> candidates(String direction) throws CoordinatorException {
        var directions = client.directions().getDirectionsList();
        if (direction != null && directions.stream().noneMatch(d -> d.getDirection().getName().equals(direction))) {
            // `wait --commit 24147b --direction nope` said "no registered commit of direction nope
            // starts with 24147b" (unknown_commit, option --commit): the commit was never the mistake
            throw Coordinators.unknownDirection("--direction", direction,
                    directions.stream().map(d -> d.getDirection().getName()).toList(), followUp());
        }
        List<String> candidates = new ArrayList<>(Records.experiments(client, direction == null ? "" : direction)
                .stream().map(Experiment::getCommit).toList());
        directions.stream()
                .filter(d -> direction == null || d.getDirection().getName().equals(direction))
                .forEach(d -> candidates.add(d.getDirection().getBaseCommit()));
        return candidates;
    }

    /**
     * A full commit id for {@code id}: itself when it is 40 hex digits, else the one registered
     * experiment (or base) of the direction that starts with it. Unknown or ambiguous: an error
     * naming {@code option}, the option that gave {@code id}.
     */
    public String resolveCommit(String option, String direction, String id) {
        String lower = id.toLowerCase(Locale.ROOT);
        if (CommitId.isValid(lower)) {
            return lower;
        }
        if (!lower.matches("[0-9a-f]{4,39}")) {
            throw new CommandException(ExitCodes.USAGE, "bad_commit", "'" + id + "' is not a commit id",
                    "give 4 to 40 hex digits of a commit from " + treeCommand(treeDirection(direction)), option);
        }
        List<String> candidates;
        try {
            candidates = candidates(direction);
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e, client, direction, "--direction", followUp());
        }
        List<String> matches = candidates.stream().filter(c -> c.startsWith(lower)).distinct().toList();
        if (matches.isEmpty()) {
            throw unknownCommit(option, direction, id, candidates, treeDirection(direction));
        }
        if (matches.size() > 1) {
            throw new CommandException(ExitCodes.USAGE, "ambiguous_commit", id + " matches " + matches.size()
                    + " commits: " + matches.stream().map(CommitId::abbreviate).toList(), "give more hex digits", option);
        }
        return matches.get(0);
    }

    /** Fetches the unit's commit from peers and checks it out as a new git workspace. */
    public void checkout(WorkUnit unit, Path workspace) {
        NodeLayout layout = new NodeLayout(dataDir);
        try (NodeRepository repo = NodeRepository.open(layout.repository());
                BundleFetcher fetcher = new BundleFetcher(repo, client.identity(), PeerConfig.defaults(),
                        new TransferLog(layout.transfers()))) {
            if (!repo.has(unit.getCommit())) {
                // a fetch from peers that do not answer takes minutes before it fails: say what is going on
                System.err.println("rhizome: fetching " + CommitId.abbreviate(unit.getCommit()) + " from "
                        + unit.getPeersCount() + " peer(s) for unit " + unit.getId()
                        + " (Ctrl-C gives the unit back)");
            }
            new CommitFetcher(fetcher, client).fetch(unit.getCommit(), unit.getPeersList());
            Workspaces.create(repo, unit.getCommit(), workspace, "rhizome/" + unit.getId());
        } catch (FetchException e) {
            // exception class names (AnnotatedConnectException: ...) say nothing to a user
            String why = String.valueOf(e.getMessage()).replaceAll("\\b[A-Z][\\w$]*(?:Exception|Error): ", "");
            throw new CommandException(ExitCodes.FAILED, "fetch_failed", why.startsWith("cannot fetch") ? why
                    : "cannot fetch " + unit.getCommit() + ": " + why,
                    unit.getKind() == WorkUnit.Kind.EVALUATE
                            ? "the nodes holding this commit did not answer (stopped?); the unit was reported unfetchable "
                                    + "and goes to another runner: claim again for another one"
                            : (unit.getPeersCount() == 0
                                    ? "no running node holds this commit as far as the coordinator knows: the node of the "
                                            + "data directory that published the seed (`rhizome seed publish --data-dir DIR`) "
                                            + "or submitted the commit must run (`rhizome node --data-dir DIR`); then claim again"
                                    : "the nodes holding this commit did not answer (stopped?): run `"
                                    + followUp().command("node") + "` if this data directory holds it, retry later")
                                    + ", or claim from another commit: " + treeCommand(unit.getDirection())
                                    + " lists them, and `" + followUp().command("claim --direction "
                                    + Shell.quote(unit.getDirection())) + " --from` followed by one of them "
                                    + "claims it");
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "failed", "cannot check out " + unit.getCommit() + " into "
                    + workspace + ": " + Problems.describe(e), "give --workspace a new or empty directory you can write");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandException(ExitCodes.FAILED, "interrupted");
        }
    }

    /**
     * Refuses a unit whose lease has run out, before anything is sent: `submit` always did; `renew`
     * sent it and got the coordinator's "not leased to <key>" as {@code forbidden}, with a hint
     * about seeds and directions, where the one thing to do is to claim again. The hint says what
     * to do now, not what to have done ("renew long work in time"): the commits in the workspace
     * are kept and go in under a new claim of the same commit ({@code workspace}: the checkout the
     * work is in, null when not known).
     */
    private void requireLiveLease(WorkUnit unit, Path workspace) {
        long now = System.currentTimeMillis();
        if (unit.getLeaseDeadlineMs() < now) {
            throw new CommandException(ExitCodes.REFUSED, "lease_expired", "the lease on unit " + unit.getId()
                    + " ended " + (now - unit.getLeaseDeadlineMs()) / 1000 + " s ago, at "
                    + Instant.ofEpochMilli(unit.getLeaseDeadlineMs()) + ": it cannot be renewed, and nothing can be "
                    + "submitted under it", expiredHint(unit, workspace, followUp()));
        }
    }

    /** Claim the same commit again (no workspace: the old one keeps the work), then submit the old workspace under the new unit. */
    public static String expiredHint(WorkUnit unit, Path workspace, FollowUp where) {
        return goOnHint(unit, workspace, where) + "; renew before lease_seconds_left runs out next time";
    }

    /**
     * How the work of a claim that cannot go on still goes in: under a new claim of the same
     * commit. Said as the workspace stands: with nothing committed there yet there is nothing to
     * submit, and with no workspace known the agent is told what holds if it committed.
     */
    static String goOnHint(WorkUnit unit, Path workspace, FollowUp where) {
        String ws = workspace == null ? null : Shell.quote(workspace.toAbsolutePath().normalize());
        String base = CommitId.abbreviate(unit.getCommit());
        String direction = Shell.quote(unit.getDirection());
        String claimAgain = "`" + where.command("claim --direction " + direction + " --from " + base)
                + "` (without --workspace)";
        // no unit id to fill in: `submit` in a workspace whose lease is over takes the claim of the
        // same commit made since without a workspace (ClaimSuccessor)
        String submit = ws == null
                ? "run `" + where.command("submit") + "` in the workspace you committed in (it goes in under that new claim)"
                : "`" + where.command("submit --workspace " + ws) + "` (it goes in under that new claim)";
        String afresh = "`" + where.command("claim --direction " + direction + " --workspace "
                + NewWorkspace.beside(unit.getDirection() + "-" + base)) + "`";
        return switch (WorkspaceProgress.of(workspace, unit.getCommit())) {
            case COMMITTED -> "what you committed in " + ws + " can still be submitted, under a new claim: claim the "
                    + "same commit again with " + claimAgain + ", then " + submit;
            case NOTHING_COMMITTED -> "nothing is committed in " + ws + " yet (its HEAD is still the unit's commit "
                    + base + "), so nothing was lost: claim the same commit again with " + claimAgain + ", commit your "
                    + "change in " + ws + ", then " + submit + "; or claim afresh into a new directory: " + afresh;
            case UNKNOWN -> "if you committed on top of " + base + ", that can still be submitted under a new claim: "
                    + "claim the same commit again with " + claimAgain + ", then " + submit + "; with nothing committed, "
                    + "claim afresh (" + afresh + ")";
        };
    }

    /**
     * A refusal of a request about a claimed unit, said for that unit. The coordinator that does
     * not know it (one started afresh, or another than the claim's) answered `not_found` (exit 4)
     * or "unknown direction ...: an operator opens one", and its own expired-lease refusal had
     * placeholders (`--direction D --from <commit>`): each now says what became of the claim and
     * the way on with the work ({@code workspace}: where it is, null when not known).
     */
    private CommandException unitFailure(CoordinatorException e, WorkUnit unit, Path workspace) {
        CommandException failure = Coordinators.failure(e, client, unit.getDirection(), followUp());
        String unknownHere = "the coordinator at " + client.url() + " does not know unit " + unit.getId()
                + " (started afresh since the claim, or not the coordinator that leased it): the claim cannot go on there; ";
        if (failure.error().equals("unknown_direction")) {
            return new CommandException(failure.exitCode(), failure.error(), failure.getMessage(), unknownHere
                    + "once direction " + unit.getDirection() + " is open there, " + goOnHint(unit, workspace, followUp())
                    + "; or pass --coordinator with the one that leased it", failure.option());
        }
        if (e.code() == Error.Code.NOT_FOUND && e.getMessage().contains("unknown work unit")) {
            return new CommandException(ExitCodes.USAGE, "unknown_unit", e.getMessage(), unknownHere + goOnHint(unit, workspace, followUp())
                    + "; or pass --coordinator with the one that leased it");
        }
        if (e.code() == Error.Code.LEASE_EXPIRED) {
            return new CommandException(failure.exitCode(), failure.error(), failure.getMessage(), expiredHint(unit, workspace, followUp()));
        }
        return failure;
    }

    /** Extends the unit's lease; returns the new deadline (epoch ms) and updates the saved claim. */
    /** Renews the lease of a claimed unit; {@code option}: the option that named it (null: a workspace's claim did). */
    public long renew(String unitId, String option) {
        return renew(unitId, option, null);
    }

    /** As {@link #renew(String, String)}; {@code workspace}: the checkout the unit's work is in, named by a refusal's hint (null: not known). */
    public long renew(String unitId, String option, Path workspace) {
        WorkUnit unit = load(unitId, option, workspace);
        requireLiveLease(unit, workspace);
        try {
            // marked before it goes: a kill before the new deadline is saved leaves the mark, and the
            // next command that loads the claim renews again (the saved deadline was kept, older than
            // the coordinator's, and a submit after it was refused here as expired)
            ClaimFiles.renewing(dataDir, unitId);
            long deadline = sendRenewal(unitId);
            CrashPoints.at(CrashPoints.RENEW_ANSWERED);
            ClaimFiles.save(dataDir, unit.toBuilder().setLeaseDeadlineMs(deadline).build());
            ClaimFiles.renewed(dataDir, unitId);
            return deadline;
        } catch (CoordinatorException e) {
            if (e.isRefusal()) {
                forgetRenewal(unitId);
            }
            throw unitFailure(e, unit, workspace);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, e.getMessage());
        } catch (NumberFormatException e) {
            throw new CommandException(ExitCodes.FAILED, "the coordinator's renewal answer has no deadline");
        }
    }

    private long sendRenewal(String unitId) throws CoordinatorException {
        return Long.parseLong(client.renewLease(LeaseRenewal.newBuilder().setWorkUnitId(unitId)
                .setNode(client.identity().publicId().toByteString()).setTimeMs(System.currentTimeMillis())
                .build()).getMessage().trim());
    }

    private void forgetRenewal(String unitId) {
        try {
            ClaimFiles.renewed(dataDir, unitId);
        } catch (IOException e) {
            // renewed again by the next load, and refused again: harmless
        }
    }

    /**
     * The saved claim of {@code unitId}; {@code option}: the option that named it (null: a
     * workspace's claim did). A command killed in the middle of a give-back or a renewal of it is
     * finished first: the give-back is sent again (and the claim is then {@code given_back}), the
     * renewal sent again and its deadline saved; one the coordinator cannot be reached for stays
     * marked for the next command.
     */
    public WorkUnit load(String unitId, String option) {
        return load(unitId, option, null);
    }

    /** As {@link #load(String, String)}; {@code workspace}: the unit's checkout, named by a given-back hint (null: not known). */
    public WorkUnit load(String unitId, String option, Path workspace) {
        try {
            if (ClaimFiles.isGivingBack(dataDir, unitId)) {
                giveBack(ClaimFiles.load(dataDir, unitId, option), ClaimFiles.givingBackBy(dataDir, unitId));
            }
            WorkUnit unit = ClaimFiles.load(dataDir, unitId, option, workspace, followUp());
            return ClaimFiles.isRenewing(dataDir, unitId) ? finishRenewal(unit) : unit;
        } catch (CommandException e) {
            if (e.error().equals("unknown_unit")) {
                OtherKeysLease.of(client, client.identity().publicId().toByteString(), unitId, option, followUp())
                        .ifPresent(held -> {
                            throw held;
                        });
            }
            throw namedDirection(e);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, e.getMessage());
        }
    }

    /**
     * A refusal whose hint's `rhizome claim` still says {@code --direction D} (nothing in the data
     * directory named one): the coordinator's only open direction, where it has one.
     */
    private CommandException namedDirection(CommandException e) {
        String placeholder = "--direction " + ImpliedDirection.PLACEHOLDER + " ";
        if (e.hint() == null || !e.hint().contains(placeholder)) {
            return e;
        }
        String direction = ImpliedDirection.forHint(null, client);
        return direction.equals(ImpliedDirection.PLACEHOLDER) ? e
                : e.withHint(e.hint().replace(placeholder, "--direction " + Shell.quote(direction) + " "));
    }

    /** A renewal whose answer a kill kept from the saved claim: sent again, its deadline saved. */
    private WorkUnit finishRenewal(WorkUnit unit) throws IOException {
        try {
            WorkUnit renewed = unit.toBuilder().setLeaseDeadlineMs(sendRenewal(unit.getId())).build();
            ClaimFiles.save(dataDir, renewed);
            ClaimFiles.renewed(dataDir, unit.getId());
            return renewed;
        } catch (CoordinatorException e) {
            if (e.isRefusal()) {
                ClaimFiles.renewed(dataDir, unit.getId());  // not this key's lease any more: the saved claim says what it held
            }
            return unit;  // unreachable: still marked, for the next command
        } catch (NumberFormatException e) {
            return unit;
        }
    }

    /** What a submission registered. */
    public record Submission(String commit, String parent, String secondParent, String direction, String paperId,
            List<DiffSimilarity.Match> similarDiffs) {
    }

    /** The workspace's HEAD, as git knows it. */
    record Head(String commit, String parent, String secondParent, String message, int parentCount) {
    }

    /**
     * Submits HEAD of the workspace for the unit: checks the lease is alive, the workspace is clean,
     * the seed's rules hold (read in the workspace), a node serves the data directory, and HEAD's
     * real parent is registered (in that order: the first error is the one to fix first), then registers the
     * experiment (and the paper, if any) and closes the exploration unless {@code keepLease}. Run
     * again after it was killed part way, it goes on from where that run stopped, storing nothing
     * twice ({@link EarlierSubmission}).
     */
    public Submission submit(WorkUnit unit, Path workspace, String description, String paperTitle, String paperText,
            List<String> cites, boolean keepLease) {
        if (unit.getKind() != WorkUnit.Kind.EXPLORE) {
            throw new CommandException(ExitCodes.USAGE, "unit " + unit.getId() + " is " + unit.getKind() + ", not EXPLORE");
        }
        // A lease that ran out (the saved deadline) comes first: nothing else can be fixed under it,
        // and its hint reads the workspace to say how the work still goes in. Then what the agent
        // fixes in its workspace and its own text, then what needs a node or the coordinator: a
        // dirty workspace was reported as no_node, and starting a node only led to the next refusal.
        requireLiveLease(unit, workspace);
        Head head = head(workspace);
        if (head.commit().equals(unit.getCommit())) {
            throw new CommandException(ExitCodes.USAGE, "nothing_to_submit", "HEAD is the unit's base commit "
                    + CommitId.abbreviate(unit.getCommit()) + ": nothing is committed on top of it yet",
                    "make your change, `git commit -am \"<what it changes>\"`, then submit");
        }
        if (head.parentCount() == 0 || head.parentCount() > 2) {
            throw new CommandException(ExitCodes.USAGE, "bad_parents", "HEAD " + CommitId.abbreviate(head.commit())
                    + " has " + head.parentCount() + " parents", "an experiment is one commit on top of "
                            + CommitId.abbreviate(unit.getCommit()) + " (or a merge of two registered commits)");
        }
        // The coordinator refuses text that is not printable (it reaches other people's terminals):
        // escape sequences an agent copied from colored output are dropped, CRLF becomes LF.
        // --description, else the sentence the unit was claimed with, else the commit message
        String what = printable(description != null && !description.isBlank() ? description
                : ClaimFiles.hypothesis(dataDir, unit.getId()).orElse(head.message()));
        if (what.length() > RecordBounds.MAX_DESCRIPTION_CHARS) {
            throw new CommandException(ExitCodes.USAGE, "description_too_long", "the experiment's description is "
                    + what.length() + " characters; at most " + RecordBounds.MAX_DESCRIPTION_CHARS
                    + " are accepted", "give a shorter --description (or a shorter first line of the commit message)");
        }
        PaperText.check(paperText);
        // the seed's rules, read in the workspace itself: a forbidden file is the agent's own
        // mistake, and was reported only after no_node (the node's repository needed the commit)
        steps.accept("checking HEAD against the seed's rules");
        boolean ruled = checkRulesInWorkspace(workspace, unit, head.commit());
        NodeEndpoint node = Announce.servingNode(dataDir).orElseThrow(() -> new CommandException(ExitCodes.FAILED,
                "no_node", "no node is serving " + dataDir,
                // with its coordinator: the command alone started a node that tried the default one
                "start `rhizome node --data-dir " + Shell.quote(dataDir.toAbsolutePath()) + " --coordinator "
                        + Shell.quote(client.url().toString()) + "` in the background (it runs until stopped: end "
                        + "the line with `&`, or use another terminal) so peers can fetch your commit (add `--cpu-jobs 0 "
                        + "--gpus none` for a node that only serves and runs no jobs), then submit again"));
        steps.accept("checking that HEAD's parents are registered");
        requireRegistered(unit, head.parent(), "parent");
        if (!head.secondParent().isEmpty()) {
            requireRegistered(unit, head.secondParent(), "second parent");
        }
        try (NodeRepository repo = NodeRepository.open(new NodeLayout(dataDir).repository())) {
            steps.accept("importing HEAD into the node's repository");
            // A submit killed inside its copy left its bundle (a commit's size) in the temporary
            // directory, where only the node's next start looked: its rerun removes it.
            DataJanitor.removeTempBundles();
            repo.importFrom(workspace, head.commit());
            if (!ruled) {
                checkRules(repo, unit, head.commit());
            }
            steps.accept("comparing the change with the direction's newest experiments");
            // near-duplicates are looked for among the newest experiments only (oldest of them first)
            List<Experiment> recent = new ArrayList<>(Records.experiments(
                    client.newestExperiments(unit.getDirection(), RECENT_EXPERIMENTS).getEnvelopesList()));
            Collections.reverse(recent);
            List<DiffSimilarity.Match> similarDiffs = DiffSimilarity.nearDuplicates(repo, head.parent(), head.commit(),
                    recent);
            steps.accept("announcing the commit to the node serving " + dataDir);
            Announce.inventory(client, repo, node, dataDir);
            steps.accept("registering the experiment with the coordinator");
            EarlierSubmission earlier = EarlierSubmission.of(client, head.commit());
            Experiment.Builder experiment = Experiment.newBuilder()
                    .setSeed(unit.getSeed()).setDirection(unit.getDirection())
                    .setCommit(head.commit()).setParent(head.parent())
                    .setProposer(client.identity().publicId().toByteString())
                    .setDescription(what)
                    .setCreatedMs(System.currentTimeMillis())
                    .setWorkUnitId(unit.getId());
            if (!head.secondParent().isEmpty()) {
                experiment.setSecondParent(head.secondParent());
            }
            if (!earlier.registered(experiment.build())) {  // else a rerun: registered before a kill
                client.registerExperiment(experiment.build());
            }
            String paperId = null;
            if (paperText != null && !paperText.isBlank()) {
                Paper paper = PaperText.paper(unit.getDirection(), paperTitle, paperText, head.message(),
                        List.of(head.commit()), cites, client.identity().publicId().toByteString());
                steps.accept("publishing the paper");
                try {
                    paperId = earlier.paperId(paper).orElse(null);
                    if (paperId == null) {
                        paperId = client.publishPaper(paper).getId();
                    }
                } catch (CoordinatorException e) {
                    if (!e.isRefusal()) {
                        throw e;
                    }
                    // The experiment stands: the unit is closed as submitted, and the answer says
                    // the paper was not taken, rather than leaving the lease held for a resubmission
                    // that the coordinator would refuse as a duplicate.
                    if (!keepLease) {
                        release(unit, List.of(head.commit()));
                    }
                    throw new CommandException(ExitCodes.REFUSED, "paper_refused", "experiment "
                            + CommitId.abbreviate(head.commit()) + " is registered, but its paper was refused: "
                            + e.getMessage(), "the experiment stands; fix what the message names for your next paper");
                }
            }
            if (!keepLease) {
                release(unit, List.of(head.commit()));
            }
            return new Submission(head.commit(), head.parent(), head.secondParent(), unit.getDirection(), paperId,
                    similarDiffs);
        } catch (CoordinatorException e) {
            throw unitFailure(e, unit, workspace);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "cannot take HEAD from " + workspace.toAbsolutePath().normalize() + ": " + e.getMessage());
        }
    }

    /** What `publish` published: {@code earlier} when the same paper was there already and nothing was sent. */
    public record Publication(String paperId, String direction, List<String> commits, String title, boolean earlier) {
    }

    /**
     * Publishes a paper about {@code commits} (full ids; none: about the direction alone) after
     * their experiments were submitted, when what happened is known. Each commit must be a
     * registered experiment of {@code direction} (null: the first commit's direction, then the
     * others must share it). Run again with the same paper, title and commits it publishes nothing
     * and answers the earlier paper's id, when the coordinator's report of the first commit still
     * lists it (its newest papers); a paper about no commit is published again.
     */
    public Publication publish(String direction, List<String> commits, String title, String markdown,
            List<String> cites) {
        PaperText.check(markdown);
        PaperText.requireWritten(markdown);
        if (direction == null && commits.isEmpty()) {
            throw new IllegalArgumentException("a paper about no commit needs its direction");
        }
        String where = direction;
        try {
            EarlierSubmission earlier = null;
            String fallbackTitle = "";
            for (String commit : commits) {
                steps.accept("checking that " + CommitId.abbreviate(commit) + " is a registered experiment");
                ExperimentReport report;
                try {
                    report = client.experimentReport(commit);
                } catch (CoordinatorException e) {
                    if (e.code() == Error.Code.NOT_FOUND) {
                        throw Unknown.error("commit", "commit " + commit + " is not a registered experiment"
                                + (where == null ? "" : " of direction " + where), "a paper is about experiments "
                                + "submitted with `rhizome submit`: " + treeCommand(treeDirection(where)) + " lists them", "--commit");
                    }
                    throw e;
                }
                // only a record whose signature verifies says which direction the commit is of
                Experiment experiment = Records.experiments(List.of(report.getExperiment())).stream().findFirst()
                        .orElseThrow(() -> new CommandException(ExitCodes.FAILED, "bad_signature", "the coordinator's "
                                + "record of experiment " + commit + " does not verify", "ask the coordinator's operator"));
                String its = experiment.getDirection();
                if (where != null && !where.equals(its)) {
                    throw new CommandException(ExitCodes.USAGE, "wrong_direction", "commit " + commit
                            + " is an experiment of direction " + its + ", not of " + where,
                            direction != null ? "leave out --direction (a paper goes to its experiments' direction)"
                                    : "a paper is about experiments of one direction: publish one paper per direction",
                            direction != null ? "--direction" : "--commit");
                }
                where = its;
                if (earlier == null) {
                    earlier = EarlierSubmission.of(report);
                    fallbackTitle = experiment.getDescription();
                }
            }
            Paper paper = PaperText.paper(where, title, markdown, fallbackTitle, commits, cites,
                    client.identity().publicId().toByteString());
            String id = earlier == null ? null : earlier.paperId(paper).orElse(null);
            if (id != null) {
                return new Publication(id, where, commits, paper.getTitle(), true);
            }
            steps.accept("publishing the paper");
            return new Publication(client.publishPaper(paper).getId(), where, commits, paper.getTitle(), false);
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e, client, where, "--direction", followUp());
        }
    }

    /** Closes the unit's exploration with the commits it produced. */
    public void release(WorkUnit unit, List<String> commits) {
        close(unit, commits, () -> ClaimFiles.remove(dataDir, unit, commits));
    }

    /**
     * Closes the unit's exploration with nothing, remembering here that {@code by} (in words:
     * "`rhizome unclaim`") gave it back: a later `submit` or `renew` of it is told that
     * ({@code given_back}), not "no claim, claim it first". Returns whether the coordinator took it
     * back: false when it refused, the unit no longer being this key's (its lease ended, or it was
     * closed), which leaves nothing to give back; forgotten here all the same.
     */
    public boolean giveBack(WorkUnit unit, String by) {
        try {
            // marked before it goes, the claim removed after the answer: killed in between, the next
            // command that loads the claim finishes the give-back (it used to keep a claim whose unit
            // the coordinator had taken back, and a submit of it was refused as not leased)
            ClaimFiles.givingBack(dataDir, unit, by);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, e.getMessage());
        }
        return close(unit, List.of(), () -> {
            CrashPoints.at(CrashPoints.GIVEN_BACK);
            ClaimFiles.givenBack(dataDir, unit, by);
        });
    }

    private interface Forgetting {
        void run() throws IOException;
    }

    /**
     * Ends a unit at the coordinator and forgets its claim here. A refusal means the unit is no
     * longer this key's (closed, expired, given up): there is nothing left to end, and the claim is
     * forgotten all the same (a rerun of a submit or an unclaim killed after the coordinator's
     * answer is refused here, and used to keep the claim for good). Returns false when it was refused.
     */
    private boolean close(WorkUnit unit, List<String> commits, Forgetting forget) {
        try {
            boolean accepted = true;
            try {
                client.exploreDone(ExploreDone.newBuilder().setWorkUnitId(unit.getId())
                        .setNode(client.identity().publicId().toByteString())
                        .addAllCommits(commits).setTimeMs(System.currentTimeMillis()).build());
            } catch (CoordinatorException e) {
                if (!e.isRefusal()) {
                    throw e;
                }
                accepted = false;
            }
            forget.run();
            return accepted;
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e, client, unit.getDirection(), followUp());
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, e.getMessage());
        }
    }

    private static String printable(String text) {
        return PaperText.printable(text);
    }

    /**
     * {@link #checkRules(NodeRepository, WorkUnit, String)} against the workspace's own repository;
     * false when it does not hold the seed's commit (a workspace that is not a claim's checkout),
     * which leaves the check to the node's repository once HEAD is imported.
     */
    private static boolean checkRulesInWorkspace(Path workspace, WorkUnit unit, String commit) {
        if (!CommitId.isValid(unit.getSeedCommit())) {
            return false;
        }
        try {
            Optional<WorkspaceCommits> held = WorkspaceCommits.holding(workspace, unit.getSeedCommit());
            if (held.isEmpty()) {
                return false;
            }
            try (WorkspaceCommits commits = held.get()) {
                checkRules(commits.changedPaths(unit.getSeedCommit(), commit), commits::readFile, unit, commit);
            }
            return true;
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "cannot read HEAD in " + workspace.toAbsolutePath().normalize()
                    + ": " + Problems.describe(e));
        }
    }

    /** The seed's rules, as the node will check them before it runs anything. */
    public static void checkRules(NodeRepository repo, WorkUnit unit, String commit) throws IOException {
        checkRules(repo.changedPaths(unit.getSeedCommit(), commit), repo::readFile, unit, commit);
    }

    private static void checkRules(Set<String> changedSinceSeed, CommitPolicy.FileReader files, WorkUnit unit,
            String commit) throws IOException {
        // the node refuses a change to the seed's harness or data source first, as protected: said
        // here the same way (it read "files the seed does not allow", hint "change only ...")
        Set<String> touched = CommitPolicy.protectedChanges(changedSinceSeed, unit.getManifest());
        if (!touched.isEmpty()) {
            String seed = unit.getSeedCommit().isEmpty() ? "<seed commit>" : unit.getSeedCommit();
            throw new CommandException(ExitCodes.USAGE, "forbidden_file", "the commit changes "
                    + String.join(", ", touched) + ", protected by the seed (its harness and data source measure "
                    + "every candidate alike; every node would refuse it)",
                    "restore " + (touched.size() == 1 ? "it" : "them") + " as the seed has "
                            + (touched.size() == 1 ? "it" : "them") + " (`git checkout " + seed + " -- "
                            + touched.stream().map(Shell::quote).collect(java.util.stream.Collectors.joining(" "))
                            + "`), commit, and submit again; change only " + unit.getManifest().getEditableFilesList()
                                    .stream().filter(f -> !unit.getManifest().getProtectedFilesList().contains(f)).toList());
        }
        Set<String> forbidden = CommitPolicy.forbiddenChanges(changedSinceSeed,
                unit.getManifest().getEditableFilesList());
        if (!forbidden.isEmpty()) {
            throw new CommandException(ExitCodes.USAGE, "forbidden_file", "the commit changes files the seed does not allow: "
                    + forbidden, "change only " + unit.getManifest().getEditableFilesList()
                            + "; undo the rest and amend the commit");
        }
        List<String> regions = CommitPolicy.protectedRegionViolations(files, unit.getManifest(), unit.getSeedCommit(),
                commit);
        if (!regions.isEmpty()) {
            throw new CommandException(ExitCodes.USAGE, "read_only_region", String.join("; ", regions),
                    "restore the read-only region exactly as the seed has it (markers included) and amend the commit");
        }
    }

    private void requireRegistered(WorkUnit unit, String commit, String which) {
        if (commit.equals(unit.getCommit()) || commit.equals(unit.getSeedCommit())) {
            return;
        }
        try {
            client.experimentReport(commit);
        } catch (CoordinatorException e) {
            if (e.code() == Error.Code.NOT_FOUND) {
                throw new CommandException(ExitCodes.USAGE, "unregistered_parent", "HEAD's " + which + " "
                        + CommitId.abbreviate(commit) + " is not a registered commit of seed " + unit.getSeed(),
                        "make one commit on top of " + CommitId.abbreviate(unit.getCommit())
                                + " (e.g. `git reset --soft " + CommitId.abbreviate(unit.getCommit())
                                + " && git commit`), or merge registered commits only");
            }
            throw Coordinators.failure(e, client, unit.getDirection(), followUp());
        }
    }

    static Head head(Path given) {
        // named absolute in every message: run inside the workspace, it was "." ("`.` has changes ...")
        Path workspace = given.toAbsolutePath().normalize();
        try (Git git = Git.open(workspace.toFile())) {
            Status status = git.status().call();
            if (!status.isClean()) {
                Set<String> dirty = new TreeSet<>(status.getUncommittedChanges());
                dirty.addAll(status.getUntracked());
                throw new CommandException(ExitCodes.USAGE, "dirty_workspace", workspace + " has changes that are not "
                        + "committed: " + dirty, "commit them (`git add -A && git commit`) or remove them, then submit");
            }
            ObjectId id = git.getRepository().resolve("HEAD");
            if (id == null) {
                throw new CommandException(ExitCodes.USAGE, "no_head", workspace + " has no HEAD commit", "commit first");
            }
            RevCommit c = git.getRepository().parseCommit(id);
            int parents = c.getParentCount();
            return new Head(id.name(), parents > 0 ? c.getParent(0).name() : "", parents == 2 ? c.getParent(1).name() : "",
                    c.getShortMessage(), parents);
        } catch (IOException | GitAPIException e) {
            throw new CommandException(ExitCodes.USAGE, "not_a_workspace", workspace + " is not a git workspace: "
                    + e.getMessage(), "pass the --workspace that `rhizome claim` checked out");
        }
    }

    /**
     * Blocks until the coordinator has decided the experiment (no evaluation pending), reporting
     * progress; returns the last report, decided or not when {@code timeout} ran out.
     */
    public ExperimentReport waitFor(String commit, Duration timeout, Consumer<String> progress)
            throws InterruptedException {
        return waitFor(commit, null, timeout, progress);
    }

    /** {@link #waitFor(String, Duration, Consumer)}, where {@code option} named the commit (an unknown one names it). */
    public ExperimentReport waitFor(String commit, String option, Duration timeout, Consumer<String> progress)
            throws InterruptedException {
        return waitFor(commit, option, timeout, progress, false).report();
    }

    /** What a wait ended with: the last report, and the paused nodes that ended it early, if they did. */
    public record Waited(ExperimentReport report, Optional<PausedRunners> paused) {
    }

    /**
     * {@link #waitFor(String, String, Duration, Consumer)} that ends early when every node that can
     * run the experiment's queued evaluations is paused (`wait`, `submit --wait`): nothing would run
     * them before {@code timeout}, an hour by default, unless someone resumes a node.
     */
    public Waited waitUnlessPaused(String commit, String option, Duration timeout, Consumer<String> progress)
            throws InterruptedException {
        return waitFor(commit, option, timeout, progress, true);
    }

    private Waited waitFor(String commit, String option, Duration timeout, Consumer<String> progress,
            boolean endWhenPaused) throws InterruptedException {
        WaitProgress lines = new WaitProgress(commit, System.nanoTime(), timeout, WaitProgress.STILL_WAITING);
        long deadline = lines.deadlineNanos();
        long pollMs = 500;
        NodesSeen cached = new NodesSeen();
        while (true) {
            ExperimentReport report;
            try {
                report = client.experimentReport(commit);
            } catch (CoordinatorException e) {
                if (e.isRefusal() && e.code() == Error.Code.NOT_FOUND) {
                    throw notAnExperiment(option, commit);
                }
                if (e.isRefusal()) {
                    throw Coordinators.failure(e, client, null, followUp());
                }
                progress.accept("coordinator unreachable, retrying: " + e.getMessage());
                report = null;
            }
            if (report != null) {
                lines.line(report, queuedReason(report, cached), System.nanoTime()).ifPresent(progress);
                Optional<PausedRunners> paused = endWhenPaused ? pausedRunners(commit, report, cached) : Optional.empty();
                if (report.getDecided() || paused.isPresent() || System.nanoTime() >= deadline) {
                    return new Waited(report, paused);
                }
            } else if (System.nanoTime() >= deadline) {
                throw new CommandException(ExitCodes.UNREACHABLE, "unreachable", "the coordinator stayed unreachable",
                        "");
            }
            Thread.sleep(Math.min(pollMs, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            pollMs = Math.min(5000, pollMs + 500);
        }
    }

    /**
     * Why {@code report}'s evaluations stay queued (see {@link QueueReason}); empty when none is
     * queued or the coordinator did not list its nodes. The listing is asked at most once a minute.
     */
    public Optional<String> queuedReason(ExperimentReport report) {
        return queued(report).map(QueueReason.Queued::reason);
    }

    /** {@link #queuedReason(ExperimentReport)} with what the evaluations wait for ({@link QueueReason#queued}). */
    public Optional<QueueReason.Queued> queued(ExperimentReport report) {
        if (!QueueReason.queued(report)) {
            return Optional.empty();
        }
        try {
            return QueueReason.queued(report, new QueueReads(client).seenFor(report), followUp());
        } catch (CoordinatorException e) {
            return Optional.empty();  // a courtesy, as in the wait
        }
    }

    /**
     * The same for each of {@code reports} (`log`'s page), keyed by commit, reading each listing
     * once for all; empty when none is queued or the coordinator did not answer.
     */
    public static Map<String, QueueReason.Queued> queuedReasons(CoordinatorClient client, List<ExperimentReport> reports,
            Path dataDir) {
        Map<String, QueueReason.Queued> reasons = new TreeMap<>();
        QueueReads reads = new QueueReads(client);
        try {
            for (ExperimentReport report : reports) {
                if (QueueReason.queued(report)) {
                    QueueReason.queued(report, reads.seenFor(report), new FollowUp(client.url().toString(), dataDir))
                            .ifPresent(why -> reasons.put(Records.experiment(report.getExperiment()).getCommit(), why));
                }
            }
        } catch (CoordinatorException e) {
            return Map.of();  // a courtesy: the listing stands without it
        }
        return reasons;
    }

    private Optional<String> queuedReason(ExperimentReport report, NodesSeen cached) {
        if (!QueueReason.queued(report)) {
            return Optional.empty();
        }
        if (cached.seen == null || System.nanoTime() - cached.readAtNanos >= NodesSeen.EVERY_NANOS) {
            try {
                cached.seen = new QueueReads(client).seenFor(report);
                cached.readAtNanos = System.nanoTime();
            } catch (CoordinatorException e) {
                return Optional.empty();  // the wait goes on; the reason is a courtesy
            }
        }
        return QueueReason.of(report, cached.seen, followUp());
    }

    /**
     * Every node that can run {@code report}'s queued evaluations paused, as the coordinator lists
     * them now: a listing read up to a minute ago (the wait's reason reads it that seldom) is read
     * again before the wait ends on it, so a node resumed since does not end it.
     */
    private Optional<PausedRunners> pausedRunners(String commit, ExperimentReport report, NodesSeen cached) {
        ByteString own = client.identity().publicId().toByteString();
        Optional<PausedRunners> paused = PausedRunners.of(commit, report, cached.seen, own, followUp());
        if (paused.isEmpty() || System.nanoTime() - cached.readAtNanos < NodesSeen.FRESH_NANOS) {
            return paused;
        }
        try {
            cached.seen = new QueueReads(client).seenFor(report);
            cached.readAtNanos = System.nanoTime();
        } catch (CoordinatorException e) {
            return Optional.empty();  // unread: the wait goes on
        }
        return PausedRunners.of(commit, report, cached.seen, own, followUp());
    }

    /** The data directory and coordinator of this session, for the commands it prints. */
    public FollowUp followUp() {
        return new FollowUp(client.url().toString(), dataDir);
    }

    /** What the coordinator last told of its nodes and the direction, and when it was read. */
    private static final class NodesSeen {
        static final long EVERY_NANOS = Duration.ofSeconds(60).toNanos();
        /** How old a listing may be for the wait to end on what it says. */
        static final long FRESH_NANOS = Duration.ofSeconds(5).toNanos();
        QueueReason.Seen seen;
        long readAtNanos;
    }

    /** Files an agent writes for a unit (brief, paper) live here, outside the workspace, so they are never committed. */
    public Path unitDir(String unitId) throws IOException {
        Path dir = unitPath(dataDir, unitId);
        Files.createDirectories(dir);
        return dir;
    }

    /** Where {@link #unitDir} keeps a unit's files, created or not. */
    static Path unitPath(Path dataDir, String unitId) {
        return dataDir.resolve("agent").resolve(unitId.replaceAll("[^A-Za-z0-9._-]", "_"));
    }
}
