package dev.rhizome.client.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * What is true after Ctrl-C or SIGTERM cut a command short, for each command: one hint for all
 * ("`rhizome claim` leases and experiments already sent stay with the coordinator") told a user of
 * `bench` or `status` about leases they never took, and nothing of what their own command left.
 * Commands that took something for the user ({@code claim}, {@code agent}, {@code submit --wait})
 * say more through {@link Interrupts.Undo}; this is what the others say.
 */
public final class InterruptHints {
    /**
     * For a command not listed below (claim, agent, a mistyped one): what holds for any of them;
     * the commands it offers name {@code where}'s --data-dir and --coordinator.
     */
    static String generic(FollowUp where) {
        return "run the command again; `rhizome claim` leases and experiments already sent stay with the coordinator (`"
                + where.command("brief") + "` shows them; `" + where.command("wait --commit COMMIT") + "` follows one)";
    }

    private static final String READ_ONLY = "it only reads, so nothing was changed here or at the coordinator: "
            + "run it again";

    /** Each command's hint, its commands naming the --data-dir and --coordinator the interrupted one used. */
    private static final Map<String, Function<FollowUp, String>> HINTS = Map.ofEntries(
            Map.entry("status", where -> READ_ONLY),
            Map.entry("brief", where -> READ_ONLY),
            Map.entry("tree", where -> READ_ONLY),
            Map.entry("papers", where -> READ_ONLY),
            Map.entry("leaderboard", where -> READ_ONLY),
            Map.entry("results", where -> READ_ONLY),
            Map.entry("id", where -> READ_ONLY),
            Map.entry("seed list", where -> READ_ONLY),
            Map.entry("direction list", where -> READ_ONLY),
            Map.entry("node status", where -> READ_ONLY),
            Map.entry("node doctor", where -> "it only looks at this machine, so nothing was changed: run it again"),
            Map.entry("verify", where -> "it only reads the file, so nothing was changed and nothing was verified to "
                    + "the end: run it again"),
            Map.entry("renew", where -> "the renewal may or may not have reached the coordinator: run the same "
                    + "`rhizome renew` again (renewing twice does no harm)"),
            Map.entry("unclaim", where -> "the unit may or may not have been given back: run the same `rhizome unclaim` "
                    + "again; its answer says which"),
            Map.entry("seed publish", where -> mayHave("the seed", "published", where.command("seed list"))),
            Map.entry("direction open", where -> mayHave("the direction", "opened", where.command("direction list"))),
            Map.entry("direction close", where -> mayHave("the direction", "closed", where.command("direction list"))),
            Map.entry("direction requeue", where -> "the order may or may not have reached the coordinator: `"
                    + where.command("direction list") + "` shows \"requeues spent\" while nothing was queued; run the "
                    + "same command again (an order that went in is refused while its replicas are pending)"),
            Map.entry("ban", where -> "the ban may or may not have reached the coordinator: run the same command again "
                    + "(banning a key twice does no harm)"),
            // the node's control socket is in its data directory: --coordinator means nothing to `node status`
            Map.entry("node pause", InterruptHints::nodeMayNotHaveHeard),
            Map.entry("node resume", InterruptHints::nodeMayNotHaveHeard),
            Map.entry("export", where -> "no export file was written (the file is written aside and moved into place "
                    + "only once complete; one there before is untouched): run it again"),
            Map.entry("coordinator backup", where -> "no backup was written (FILE.tmp is renamed to FILE only once the "
                    + "copy is complete; a FILE there before is untouched): run it again"),
            Map.entry("demo", where -> "the demo's coordinator and nodes were stopped with it; their logs and data stay "
                    + "in the directory it printed at the start: run `rhizome demo` again (`--duration` for longer)"),
            Map.entry("bench", where -> "the benchmark stopped before its figures, so nothing was measured to the end "
                    + "(the nodes, coordinator and any PostgreSQL schema it started stop or go with it): run it again, "
                    + "on a machine as quiet as you can"));

    private InterruptHints() {
    }

    /** A change the coordinator may or may not have made, and the listing that shows which. */
    private static String mayHave(String thing, String done, String listing) {
        return thing + " may or may not have been " + done + ": `" + listing
                + "` shows whether it was; if not, run the same command again";
    }

    private static String nodeMayNotHaveHeard(FollowUp where) {
        return "the request may not have reached the node: `" + new FollowUp(null, where.dataDir()).command("node status")
                + "` shows whether it is paused";
    }

    /**
     * The hint for the command picocli parsed: its qualified name (`node status`), never the
     * command line's words, which an option's value shares (`rhizome node --data-dir status` runs
     * the node, not `node status`; `rhizome node --data-dir status doctor` runs `node doctor`).
     */
    public static String of(ParseResult parsed) {
        List<String> names = new ArrayList<>();
        ParseResult leaf = parsed;
        for (ParseResult at = parsed.hasSubcommand() ? parsed.subcommand() : null; at != null;
                at = at.hasSubcommand() ? at.subcommand() : null) {
            names.add(at.commandSpec().name());
            leaf = at;
        }
        // the commit the user is following, from what was parsed: the hints said "--commit C",
        // a placeholder to fill in from a scrollback the signal may have cut short
        if (names.equals(List.of("wait"))) {
            return "waiting changes nothing: the experiment is decided at the coordinator whether or not anyone waits; "
                    + "run the same command again: `" + again(leaf) + "`";
        }
        if (names.equals(List.of("submit"))) {
            String workspace = leaf.matchedOptionValue("--workspace", java.nio.file.Path.of("."))
                    .toAbsolutePath().normalize().toString();
            return "the experiment may have reached the coordinator before the signal: run the same `" + again(leaf)
                    + "` again, which says whether it went in; `rhizome wait --commit \"$(git -C " + Shell.quote(workspace)
                    + " rev-parse HEAD)\"` then follows it; the unit stays yours until its lease runs out";
        }
        return forCommand(names, followUp(leaf));
    }

    /**
     * The --data-dir and --coordinator the parsed command uses (given, or its defaults), from its
     * options; a command without one leaves it out.
     */
    static FollowUp followUp(ParseResult leaf) {
        String coordinator = null;
        java.nio.file.Path dataDir = null;
        for (CommandLine.Model.CommandSpec mixin : leaf.commandSpec().mixins().values()) {
            try {
                if (mixin.userObject() instanceof CoordinatorOption c) {
                    coordinator = c.url();
                } else if (mixin.userObject() instanceof DataDirOption d) {
                    dataDir = d.path();
                }
            } catch (RuntimeException e) {
                // an unreadable workspace claim behind a default: the hint leaves that flag out,
                // and the command's own run says what is wrong with it
            }
        }
        return new FollowUp(coordinator, dataDir);
    }

    /** The command as parsed, to run again: its words and each option given with its value, quoted for the shell. */
    private static String again(ParseResult leaf) {
        StringBuilder b = new StringBuilder(leaf.commandSpec().qualifiedName());
        // matchedOptions has a repeated option once per time it was given; its values are all in each
        for (var option : new java.util.LinkedHashSet<>(leaf.matchedOptions())) {
            if (option.arity().max() == 0 || option.originalStringValues().isEmpty()) {
                b.append(' ').append(option.longestName());
            }
            // a repeated option (--cites A --cites B) is given again once per value
            for (String value : option.arity().max() == 0 ? List.<String>of() : option.originalStringValues()) {
                b.append(' ').append(option.longestName()).append(' ').append(Shell.quote(value));
            }
        }
        return b.toString();
    }

    /** The hint for a command named by its path below `rhizome` (empty: none was named). */
    static String forCommand(List<String> names, FollowUp where) {
        // the most specific name listed: `node pause`, else its group's (`bench` for `bench gossip`)
        for (int n = names.size(); n > 0; n--) {
            Function<FollowUp, String> hint = HINTS.get(String.join(" ", names.subList(0, n)));
            if (hint != null) {
                return hint.apply(where);
            }
        }
        return generic(where);
    }
}
