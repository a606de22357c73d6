package dev.rhizome.client.cli;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The direction of a command given no {@code --direction} (`brief`, `log`, `tree`, `agent`, `claim`): the
 * direction of the claim in the workspace the command runs in, else the coordinator's only open
 * direction. A newcomer on a one-direction network was told "needs --direction" by every reading
 * command, though only one answer could be meant. Where several are open the command is refused
 * with their names (exit 2, {@code usage}, {@code option} {@code --direction}), never guessed.
 */
public final class ImpliedDirection {
    private ImpliedDirection() {
    }

    /** The direction taken, and why, in words for standard error (null: it was given). */
    public record Choice(String name, String why) {
    }

    /**
     * Chooses the direction (pure: the caller read the claim and the list).
     *
     * @param given     {@code --direction} as typed, or null
     * @param claimed   the direction of the workspace's claim, or null when there is none
     * @param claimUnit that claim's unit
     * @param command   the command's words after `rhizome` ("brief"), for the hint
     * @param where     the --data-dir and --coordinator the hint's commands name
     */
    public static Choice choose(String given, String claimed, String claimUnit, List<DirectionStatus> all,
            String command, FollowUp where) {
        if (given != null) {
            return new Choice(given, null);
        }
        if (claimed != null) {
            return new Choice(claimed, "the direction of this workspace's claim, unit " + claimUnit);
        }
        List<String> open = all.stream().filter(d -> !d.getClosed()).map(d -> d.getDirection().getName()).toList();
        if (open.size() == 1) {
            return new Choice(open.get(0), "the only open direction");
        }
        if (open.isEmpty()) {
            List<String> closed = all.stream().map(d -> d.getDirection().getName()).toList();
            throw CommandException.usage("--direction", "--direction is missing, and the coordinator has no open "
                    + "direction" + (closed.isEmpty() ? " yet" : " (closed: " + Unknown.shown(closed) + ")"),
                    closed.isEmpty() ? Coordinators.noDirectionHint(where)
                            : "name a closed one to read it: `" + where.command(command + " --direction "
                                    + Shell.quote(closed.get(0))) + "`");
        }
        throw CommandException.usage("--direction", "--direction is missing, and the coordinator has "
                + open.size() + " open directions: " + Unknown.shown(open),
                "name one: `" + where.command(command + " --direction " + Shell.quote(open.get(0))) + "` (`"
                        + where.command("direction list") + "` describes them)");
    }

    /**
     * The direction to act on, saying on standard error which was taken when it was not given.
     * Runs before the command's other reads, so a refusal costs one request.
     */
    public static String resolve(String given, CoordinatorClient client, String command, FollowUp where)
            throws CoordinatorException {
        if (given != null) {
            return given;
        }
        Optional<Claimed> claim = workspaceClaim();
        List<DirectionStatus> all = claim.isPresent() ? List.of() : client.directions().getDirectionsList();
        Choice choice = choose(null, claim.map(Claimed::direction).orElse(null), claim.map(Claimed::unit).orElse(null), all,
                command, where);
        System.err.println("rhizome: --direction " + choice.name() + " (" + choice.why() + ")");
        return choice.name();
    }

    /**
     * The direction `rhizome claim` asks for when given none: as {@link #resolve}, except that with
     * no direction open it asks for none (null), so the coordinator's no-work answer (exit 3, with
     * when to claim again) stands, as a claim waiting for a first direction relies on. It leased a
     * unit of whichever open direction the coordinator picked, which an agent had not chosen.
     */
    public static String resolveForClaim(String given, CoordinatorClient client, FollowUp where)
            throws CoordinatorException {
        if (given != null || workspaceClaim().isPresent()) {
            return resolve(given, client, "claim", where);
        }
        List<DirectionStatus> all = client.directions().getDirectionsList();
        if (all.stream().allMatch(DirectionStatus::getClosed)) {
            return null;
        }
        Choice choice = choose(null, null, null, all, "claim", where);
        System.err.println("rhizome: --direction " + choice.name() + " (" + choice.why() + ")");
        return choice.name();
    }

    /** {@link #resolve(String, CoordinatorClient, String, FollowUp)}, its failures the command's exit; asks nothing when given. */
    public static String resolve(String given, CoordinatorOption coordinator, DataDirOption dataDir, String command) {
        return given != null ? given : Coordinators.read(coordinator, dataDir,
                c -> resolve(null, c, command, FollowUp.of(coordinator, dataDir)));
    }

    /** What a hint's example command names where no direction can be told: the user fills it in. */
    public static final String PLACEHOLDER = "D";

    /**
     * The direction an example command in a hint names: {@code given}, else that of the claim in
     * the workspace this runs in, else the coordinator's only open direction ({@code client} may be
     * null: not asked), else {@link #PLACEHOLDER}. Hints said `--direction D` on a network of one
     * direction, which a newcomer copied as written. Never fails: a hint is no place for a second error.
     */
    public static String forHint(String given, CoordinatorClient client) {
        if (given != null && !given.isBlank()) {
            return given;
        }
        Optional<Claimed> claim = workspaceClaim();
        if (claim.isPresent()) {
            return claim.get().direction();
        }
        if (client != null) {
            try {
                List<String> open = client.directions().getDirectionsList().stream().filter(d -> !d.getClosed())
                        .map(d -> d.getDirection().getName()).toList();
                if (open.size() == 1) {
                    return open.get(0);
                }
            } catch (CoordinatorException | RuntimeException e) {
                // unreachable or refused: the placeholder, and the command's own error stands
            }
        }
        return PLACEHOLDER;
    }

    /**
     * {@link #forHint(String, CoordinatorClient)}, asking the coordinator {@code coordinator} names
     * (null: none) with a key made for this one read: a hint, even one of a mistyped command,
     * creates no key in a data directory.
     */
    public static String forHint(String given, CoordinatorOption coordinator) {
        if ((given != null && !given.isBlank()) || coordinator == null) {
            return forHint(given, (CoordinatorClient) null);
        }
        CoordinatorClient client;
        try {
            client = new CoordinatorClient(coordinator.uri().toString(), Identity.generate(), HINT_READ);
        } catch (RuntimeException e) {
            client = null;  // a refused URL: the command's own error says so
        }
        return forHint(null, client);
    }

    /** How long a hint waits for the coordinator's list: a hint is not worth a command's full timeout. */
    private static final Duration HINT_READ = Duration.ofSeconds(5);

    /**
     * {@link #forHint(String, CoordinatorOption)} as a `rhizome tree` command to copy, naming the
     * data directory and coordinator in use where known (null: left out).
     */
    public static String treeCommandForHint(String given, CoordinatorOption coordinator, DataDirOption dataDir) {
        FollowUp where = new FollowUp(coordinator == null ? null : coordinator.url(),
                dataDir == null ? null : dataDir.path());
        return "`" + where.command("tree --direction " + Shell.quote(forHint(given, coordinator))) + "`";
    }

    /** The help text of a {@code --direction} that may be left out. */
    public static final String HELP = "The direction (default: that of the claim in the workspace this runs in, else the "
            + "coordinator's only open direction; with several open, name one).";

    private record Claimed(String direction, String unit) {
    }

    /** The direction and unit of the claim in the workspace the command runs in (held, submitted or given back). */
    private static Optional<Claimed> workspaceClaim() {
        return WorkspaceClaim.ofWorkingDirectory().flatMap(c -> ClaimFiles.direction(c.dataDir(), c.unitId())
                .map(d -> new Claimed(d, c.unitId())));
    }
}
