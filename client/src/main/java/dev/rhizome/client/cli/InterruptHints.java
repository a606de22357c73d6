package dev.rhizome.client.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ParseResult;

/**
 * What is true after Ctrl-C or SIGTERM cut a command short, for each command: one hint for all
 * ("`rhizome claim` leases and experiments already sent stay with the coordinator") told a user of
 * `bench` or `status` about leases they never took, and nothing of what their own command left.
 * Commands that took something for the user ({@code claim}, {@code agent}, {@code submit --wait})
 * say more through {@link Interrupts.Undo}; this is what the others say.
 */
public final class InterruptHints {
    /** For a command not listed below (claim, agent, a mistyped one): what holds for any of them. */
    static final String GENERIC = "run the command again; `rhizome claim` leases and experiments "
            + "already sent stay with the coordinator (`rhizome brief`, `rhizome wait` show them)";

    private static final String READ_ONLY = "it only reads, so nothing was changed here or at the coordinator: "
            + "run it again";

    private static final Map<String, String> HINTS = Map.ofEntries(
            Map.entry("status", READ_ONLY),
            Map.entry("brief", READ_ONLY),
            Map.entry("tree", READ_ONLY),
            Map.entry("papers", READ_ONLY),
            Map.entry("leaderboard", READ_ONLY),
            Map.entry("results", READ_ONLY),
            Map.entry("id", READ_ONLY),
            Map.entry("seed list", READ_ONLY),
            Map.entry("direction list", READ_ONLY),
            Map.entry("node status", READ_ONLY),
            Map.entry("node doctor", "it only looks at this machine, so nothing was changed: run it again"),
            Map.entry("verify", "it only reads the file, so nothing was changed and nothing was verified to the end: "
                    + "run it again"),
            Map.entry("renew", "the renewal may or may not have reached the coordinator: run the same `rhizome renew` "
                    + "again (renewing twice does no harm)"),
            Map.entry("unclaim", "the unit may or may not have been given back: run the same `rhizome unclaim` again; "
                    + "its answer says which"),
            Map.entry("seed publish", "the seed may or may not have been published: `rhizome seed list` shows whether "
                    + "it was; if not, run the same command again"),
            Map.entry("direction open", "the direction may or may not have been opened: `rhizome direction list` "
                    + "shows whether it was; if not, run the same command again"),
            Map.entry("direction close", "the direction may or may not have been closed: `rhizome direction list` "
                    + "shows whether it was; if not, run the same command again"),
            Map.entry("ban", "the ban may or may not have reached the coordinator: run the same command again "
                    + "(banning a key twice does no harm)"),
            Map.entry("node pause", "the request may not have reached the node: `rhizome node status` shows whether "
                    + "it is paused"),
            Map.entry("node resume", "the request may not have reached the node: `rhizome node status` shows whether "
                    + "it is paused"),
            Map.entry("export", "no export file was written (the file is written aside and moved into place only "
                    + "once complete; one there before is untouched): run it again"),
            Map.entry("coordinator backup", "no backup was written (FILE.tmp is renamed to FILE only once the copy "
                    + "is complete; a FILE there before is untouched): run it again"),
            Map.entry("demo", "the demo's coordinator and nodes were stopped with it; their logs and data stay in "
                    + "the directory it printed at the start: run `rhizome demo` again (`--duration` for longer)"),
            Map.entry("bench", "the benchmark stopped before its figures, so nothing was measured to the end (the "
                    + "nodes, coordinator and any PostgreSQL schema it started stop or go with it): run it again, on "
                    + "a machine as quiet as you can"));

    private InterruptHints() {
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
        return forCommand(names);
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
    static String forCommand(List<String> names) {
        // the most specific name listed: `node pause`, else its group's (`bench` for `bench gossip`)
        for (int n = names.size(); n > 0; n--) {
            String hint = HINTS.get(String.join(" ", names.subList(0, n)));
            if (hint != null) {
                return hint;
            }
        }
        return GENERIC;
    }
}
