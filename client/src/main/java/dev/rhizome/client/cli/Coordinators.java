package dev.rhizome.client.cli;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.api.KnownNetwork;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import dev.rhizome.protocol.identity.UnusableKey;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Shared plumbing for commands that call the coordinator: identity, client, error mapping. */
public final class Coordinators {
    private Coordinators() {
    }

    public static Identity identity(Path dataDir) {
        try {
            return IdentityStore.loadOrCreate(dataDir);
        } catch (UnusableKey e) {
            throw unusableKey(e);
        } catch (IOException e) {
            // a hint that says where the key is: the generic "fix what the message names" left an
            // agent to dig the remedy out of the message
            throw new CommandException(ExitCodes.FAILED, "failed", "cannot load identity from " + dataDir + ": "
                    + Problems.describe(e), "the identity is the key in " + dataDir.resolve("identity.key")
                    + ": fix it as the message says, or pass another --data-dir (a new directory makes a new identity)");
        }
    }

    /**
     * {@code unusable_key}: the file, what is wrong with it and what to do, wherever a command or
     * a daemon (node, coordinator) loaded it.
     */
    public static CommandException unusableKey(UnusableKey e) {
        return new CommandException(ExitCodes.FAILED, "unusable_key", "identity key " + e.file() + " is unusable: "
                + e.problem(), e.remedy() + "; or pass another --data-dir (a new directory makes a new identity)");
    }

    public static CoordinatorClient client(CoordinatorOption coordinator, DataDirOption dataDir) {
        coordinator.uri();  // checked first: a refused URL reads the same on every command
        // the coordinator's network id, asked once per coordinator URL and kept in the data dir
        return new CoordinatorClient(coordinator.url(), identity(dataDir.path()))
                .keepNetworkIn(KnownNetwork.ofCli(dataDir.path(), coordinator.uri()))
                // a coordinator started afresh on the same URL refused the first signed command of
                // each script ("run the command again"): the refusal, and the id it answers now,
                // prove the change, so the command goes on signed for the new network, and says so
                .resignOnceWhenNetworkChanges((call, from, to) -> System.err.println(networkChanged(
                        coordinator.uri(), call, from, to)))
                .onReadWait(Coordinators::sayReadWait);
    }

    /**
     * A wait this long or longer is said on standard error, so a command that pauses is not taken for
     * hung: every wait (a Retry-After is whole seconds), as an agent that runs a command with a
     * timeout must be able to tell a coordinator's pause from a hang.
     */
    static final long SAID_WAIT_S = 1;

    /**
     * A read the coordinator refused for its CPU budget waits its Retry-After and asks again
     * (node.api.ReadRetry); a long wait is said on standard error (standard output keeps the answer).
     */
    public static void sayReadWait(String call, long seconds, String why) {
        if (seconds >= SAID_WAIT_S) {
            System.err.println("waiting " + seconds + " s to ask again (" + call + "): " + why);
        }
    }

    /** The line on standard error when a signed request went again for the coordinator's new network. */
    static String networkChanged(java.net.URI coordinator, String call, String from, String to) {
        return "rhizome: the coordinator at " + coordinator + " now serves network " + to + ", not " + from
                + " as when this data directory last used it (started afresh, or its store replaced): " + call
                + " was refused as signed for the old network and went again signed for the new one; this data"
                + " directory now signs for " + to + " there (claims of the old network are not known there)";
    }

    /** A read from the coordinator. */
    @FunctionalInterface
    public interface Read<T> {
        T from(CoordinatorClient client) throws CoordinatorException;
    }

    /** Reads from the coordinator, turning a failure into the command's exit. */
    public static <T> T read(CoordinatorOption coordinator, DataDirOption dataDir, Read<T> read) {
        LeaseNotice.sayOnce();
        try {
            return read.from(client(coordinator, dataDir));
        } catch (CoordinatorException e) {
            throw failure(e, FollowUp.of(coordinator, dataDir));
        }
    }

    /**
     * The direction named by {@code --direction}, or the {@code unknown_direction} error (exit 2, as every unknown name).
     * Every command that takes {@code --direction} checks it this way, so a typo is never an empty
     * answer with exit 0.
     */
    public static DirectionStatus direction(CoordinatorClient client, String name, FollowUp where)
            throws CoordinatorException {
        List<DirectionStatus> all = client.directions().getDirectionsList();
        return all.stream()
                .filter(d -> d.getDirection().getName().equals(name)).findFirst()
                .orElseThrow(() -> unknownDirection("--direction", name,
                        all.stream().map(d -> d.getDirection().getName()).toList(), where));
    }

    /**
     * {@code unknown_direction}, saying what there is: "list them with `rhizome direction list`"
     * sent a new user to an empty list on a network where no direction was opened yet.
     *
     * @param option the option that named it, or null when it came from a claim
     */
    public static CommandException unknownDirection(String option, String name, List<String> known, FollowUp where) {
        return Unknown.of("direction", option, name, known, "list them with `" + where.command("direction list") + "`",
                noDirectionHint(where));
    }

    /** {@code unknown_seed}: the seed {@code --seed} named is not published on this coordinator. */
    public static CommandException unknownSeed(String name, List<String> known, FollowUp where) {
        return Unknown.of("seed", "--seed", name, known, "list them with `" + where.command("seed list") + "`",
                "an operator publishes one first: `" + where.command("seed publish --builtin tiny-lm")
                        + "` (or --dir DIR)");
    }

    /**
     * What to do on a coordinator that has no direction at all; every command in it names the
     * coordinator that has none (an operator's --data-dir is theirs, but the one given is the
     * reader's best guess, and a command that runs as printed beats one that asks ~/.rhizome).
     */
    public static String noDirectionHint(FollowUp where) {
        return "an operator opens one: `" + where.command("seed publish --builtin tiny-lm") + "`, then `"
                + where.command("direction open --seed tiny-lm --name NAME")
                + "` (README.md, \"Running a network by hand\"); `" + where.command("direction list")
                + "` shows what is open";
    }

    /**
     * The operator's command that queues a direction's spent trials again: the name quoted for a
     * shell, and the --data-dir and --coordinator in use (the reader's best guess at the operator's).
     */
    public static String requeueCommand(String direction, FollowUp where) {
        return where.command("direction requeue --name " + Shell.quote(direction));
    }

    /** How the coordinator's ProposerThrottle words its refusal (the coordinator's tests hold the wording). */
    static final String THROTTLED = "proposer throttled";

    /**
     * A throttled proposer is refused for a while, not for good: the hint for a key that may never
     * do a thing ("needs the --data-dir of an operator") sent an agent whose retry of a crashed
     * experiment was refused the wrong way.
     */
    static String throttledHint(FollowUp where) {
        return "this key's commits failed (CRASH results, or commits no runner could fetch) more often than they ran OK, "
                + "so the coordinator takes no new experiments from it until the time the message gives (10 minutes after "
                + "the last failure): read why they failed with `" + where.command("log --direction D --json") + "` (yours have mine: true; "
                + "each report's result_reasons say why), make the "
                + "fix run (a quick local run of the seed's harness catches most crashes), and submit again after that time; "
                + "an OK result of yours outweighs a failure";
    }

    private static final java.util.regex.Pattern SECONDS_FROM_NOW = java.util.regex.Pattern.compile("\\((\\d+) s from now\\)");

    /**
     * A throttled proposer's refusal, with {@code retry_after_s} (as a claim with no work has it)
     * when the message gives the time: an agent had to read the number out of the words.
     */
    static CommandException throttled(String message, FollowUp where) {
        CommandException refused = new CommandException(ExitCodes.REFUSED, "forbidden", message, throttledHint(where));
        java.util.regex.Matcher m = SECONDS_FROM_NOW.matcher(message);
        if (!m.find()) {
            return refused;
        }
        com.google.gson.JsonObject keys = new com.google.gson.JsonObject();
        keys.addProperty("retry_after_s", Long.parseLong(m.group(1)));
        return refused.withKeys(keys);
    }

    static String forbiddenHint(FollowUp where) {
        return "the key of this --data-dir (`" + where.command("id") + "` prints it) may not do this: a unit "
                + "leased to another key (or whose lease ran out) needs a new claim; seeds, directions and bans need the "
                + "--data-dir of one of the coordinator's operators; a banned key stays refused (the message gives the "
                + "operator's reason)";
    }

    /**
     * {@link #failure(CoordinatorException)}, where a request that named {@code direction} (null
     * or empty: none) and was refused as not found because that direction is not there (a claim's)
     * also lists the directions there are and the nearest names, as the commands that check a
     * direction themselves do. The name is the one the request carried, never read back out of the
     * coordinator's message: a message worded otherwise would lose the list.
     */
    public static CommandException failure(CoordinatorException e, CoordinatorClient client, String direction,
            FollowUp where) {
        return failure(e, client, direction, null, where);
    }

    /** {@link #failure(CoordinatorException, CoordinatorClient, String, FollowUp)} where {@code option} gave the direction. */
    public static CommandException failure(CoordinatorException e, CoordinatorClient client, String direction,
            String option, FollowUp where) {
        CommandException failure = failure(e, where);
        if (direction != null && !direction.isEmpty() && failure.hint().contains("--direction D ")) {
            // the refusal's hint (lease_expired, unit_closed) names the request's direction, as other hints do
            failure = failure.withHint(failure.hint().replace("--direction D ", "--direction " + Shell.quote(direction) + " "));
        }
        if (e.code() != Error.Code.NOT_FOUND || direction == null || direction.isEmpty()) {
            return failure;
        }
        try {
            List<String> known = client.directions().getDirectionsList().stream()
                    .map(d -> d.getDirection().getName()).toList();
            return known.contains(direction) ? failure : unknownDirection(option, direction, known, where);
        } catch (CoordinatorException again) {
            return failure;
        }
    }

    /**
     * Maps a coordinator failure to the exit code that says what kind it was, and an error name;
     * each command a hint prints carries {@code where}'s --data-dir and --coordinator, as every
     * other printed follow-up does (a bare `rhizome claim` asked ~/.rhizome and the default
     * coordinator, and was refused or claimed elsewhere).
     */
    public static CommandException failure(CoordinatorException e, FollowUp where) {
        if (e.status() == 0) {
            return new CommandException(ExitCodes.UNREACHABLE, "unreachable", e.getMessage(),
                    "start the coordinator or pass --coordinator URL (or set RHIZOME_COORDINATOR)");
        }
        if (e.code() == Error.Code.WRONG_NETWORK) {
            // refused, or found by this client (the coordinator answers another network id than the one kept)
            return new CommandException(ExitCodes.REFUSED, "wrong_network", e.getMessage(),
                    "the coordinator refused a record signed for another network than it serves (its store"
                            + " was replaced, or --coordinator names another coordinator than before); a command"
                            + " signed for a network the coordinator no longer answers goes again by itself, so this"
                            + " one was refused while the coordinator still answers the network it signed for (or"
                            + " another network each time: two coordinators behind one URL?): check --coordinator"
                            + " and `curl " + (where.coordinator() == null ? "URL" : Shell.quote(where.coordinator() + "/v1/stats"))
                            + (where.coordinator() == null ? "/v1/stats" : "") + "` (network_id), then run the command again");
        }
        if (!e.isRefusal()) {
            return new CommandException(ExitCodes.FAILED, "coordinator_error", e.getMessage(), "retry later");
        }
        String message = e.getMessage();
        return switch (e.code()) {
            case NOT_FOUND -> message.contains("unknown direction")
                    ? Unknown.error("direction", message, "list the open directions with `"
                            + where.command("direction list") + "`", null)
                    : new CommandException(ExitCodes.REFUSED, "not_found", message, "");
            case LEASE_EXPIRED -> new CommandException(ExitCodes.REFUSED, "lease_expired", message,
                    "claim again (`" + where.command("claim --direction D --json") + "`; add --from and the commit "
                            + "your work is on to go on from it) and resubmit; renew long work before its lease ends "
                            + "(a claim's renew_command is the command that does)");
            // each kind says what to do about it: the one hint for all ("`rhizome seed list` and
            // `rhizome direction list` show what it has") told a banned key or a non-operator nothing
            case FORBIDDEN -> message.startsWith(THROTTLED) ? throttled(message, where)
                    : new CommandException(ExitCodes.REFUSED, "forbidden", message, forbiddenHint(where));
            case CONFLICT -> new CommandException(ExitCodes.REFUSED, "conflict", message,
                    "the coordinator already holds something else under that name or for that unit (the message "
                            + "says what): pick another name, or claim again for a fresh unit");
            case BAD_REQUEST -> new CommandException(ExitCodes.REFUSED, "bad_request", message,
                    "the message names what the coordinator found wrong with the request: change that and run it again");
            // the refusals below all came out as "refused" with no hint of their own: an agent could
            // not tell a unit it gave back from a limit to wait out or a key the coordinator doubts
            case UNIT_CLOSED -> new CommandException(ExitCodes.REFUSED, "unit_closed", message,
                    "the unit's lease is over: claim a new unit (`" + where.command("claim --direction D --workspace "
                            + NewWorkspace.beside("workspace")) + "`; add --from and a commit of yours to go on from it)");
            case LIMIT_REACHED -> new CommandException(ExitCodes.REFUSED, "limit_reached", message,
                    "a per-key limit is reached (the message says which): finish or give back units you hold "
                            + "(a claim's answer names its unclaim command), or wait for the daily quota to recover");
            case TOO_LARGE -> new CommandException(ExitCodes.REFUSED, "too_large", message,
                    "send less (a shorter paper or description, fewer commits); the message gives the limit");
            case BAD_SIGNATURE -> new CommandException(ExitCodes.REFUSED, "bad_signature", message,
                    "the coordinator could not verify this key's signature: check this machine's clock, and "
                            + "that the --data-dir's identity.key is the one the request names");
            case TIMEOUT -> new CommandException(ExitCodes.REFUSED, "timeout", message,
                    "the request did not reach the coordinator whole in time: retry (on a slow link, retry later)");
            default -> new CommandException(ExitCodes.REFUSED, "refused", message, "");
        };
    }
}
