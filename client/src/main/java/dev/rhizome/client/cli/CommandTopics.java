package dev.rhizome.client.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Words a new user types as a command that name what another command shows (`rhizome frontier`,
 * `rhizome join`, `rhizome node start`, `rhizome direction show`): no spelling is near, so "did you
 * mean" had nothing to offer and the user got the whole help, or only "see --help". Here each such
 * word, in the group it was typed in, leads to the commands that answer it, written whole after
 * `rhizome`; a word no command answers (`node stop`) gets a note saying how it is done.
 */
final class CommandTopics {
    /** By group (the words after `rhizome`, "" for the root), then by the word typed. */
    private static final Map<String, Map<String, List<String>>> TOPICS = Map.of(
            "", Map.ofEntries(
                    Map.entry("frontier", List.of("brief", "tree", "leaderboard")),
                    Map.entry("experiments", List.of("log", "tree", "results")),
                    Map.entry("experiment", List.of("log", "wait --commit C", "tree")),
                    Map.entry("tried", List.of("log")),
                    // `similar` is a key of `claim --json` and `brief`: the work like a hypothesis
                    Map.entry("similar", List.of("claim --hypothesis H", "brief", "log")),
                    Map.entry("outcomes", List.of("log", "wait --commit C")),
                    Map.entry("new", List.of("log --new")),
                    Map.entry("news", List.of("log --new")),
                    Map.entry("metric", List.of("results", "tree")),
                    Map.entry("metrics", List.of("results", "tree")),
                    Map.entry("credit", List.of("leaderboard --volunteers")),
                    Map.entry("join", List.of("node")),
                    Map.entry("start", List.of("node", "coordinator")),
                    Map.entry("run", List.of("node", "agent")),
                    Map.entry("volunteer", List.of("node")),
                    Map.entry("whoami", List.of("id")),
                    Map.entry("identity", List.of("id")),
                    Map.entry("key", List.of("id")),
                    Map.entry("init", List.of("id", "seed publish")),
                    Map.entry("open", List.of("direction open")),
                    Map.entry("close", List.of("direction close")),
                    Map.entry("doctor", List.of("node doctor")),
                    Map.entry("pause", List.of("node pause")),
                    Map.entry("resume", List.of("node resume")),
                    Map.entry("audit", List.of("export", "verify")),
                    Map.entry("history", List.of("log", "export", "tree")),
                    Map.entry("lease", List.of("renew", "unclaim")),
                    Map.entry("release", List.of("unclaim")),
                    Map.entry("give-back", List.of("unclaim")),
                    Map.entry("version", List.of("--version")),
                    Map.entry("directions", List.of("direction list")),
                    Map.entry("seeds", List.of("seed list")),
                    Map.entry("backup", List.of("coordinator backup"))),
            // `rhizome node` and `rhizome coordinator` run the role themselves: there is no `start`
            "node", Map.of(
                    "start", List.of("node"),
                    "run", List.of("node"),
                    "stop", List.of("node pause"),
                    "info", List.of("node status"),
                    "show", List.of("node status"),
                    "check", List.of("node doctor")),
            "coordinator", Map.of(
                    "start", List.of("coordinator"),
                    "run", List.of("coordinator"),
                    "serve", List.of("coordinator"),
                    "status", List.of("status"),
                    "info", List.of("status"),
                    "export", List.of("export")),
            "direction", Map.of(
                    "show", List.of("direction list", "brief --direction D"),
                    "info", List.of("direction list", "brief --direction D"),
                    "status", List.of("direction list", "brief --direction D"),
                    "create", List.of("direction open"),
                    "new", List.of("direction open"),
                    "add", List.of("direction open"),
                    "delete", List.of("direction close"),
                    "remove", List.of("direction close")),
            "seed", Map.of(
                    "show", List.of("seed list"),
                    "info", List.of("seed list"),
                    "add", List.of("seed publish"),
                    "create", List.of("seed publish"),
                    "upload", List.of("seed publish"),
                    "push", List.of("seed publish")));

    /** What a word no command answers is done by instead. */
    private static final Map<String, String> NOTES = Map.of(
            "node stop", "a running node stops on Ctrl-C or SIGTERM (`kill PID`, the pid `rhizome node status` "
                    + "shows, as its --json ready line did); `rhizome node pause` keeps it running but claiming no work. ",
            "coordinator stop", "a running coordinator stops on Ctrl-C or SIGTERM (`kill PID`, the pid its --json "
                    + "ready line printed). ",
            "node start", "`rhizome node` itself runs the node. ",
            "node run", "`rhizome node` itself runs the node. ",
            "coordinator start", "`rhizome coordinator` itself runs the coordinator. ",
            "coordinator run", "`rhizome coordinator` itself runs the coordinator. ",
            "coordinator serve", "`rhizome coordinator` itself runs the coordinator. ");

    private CommandTopics() {
    }

    /**
     * The commands (as words after `rhizome`) that show what {@code word}, typed in {@code group}
     * (its words after `rhizome`, "" for the root), names; empty when none.
     */
    static List<String> of(String group, String word) {
        return TOPICS.getOrDefault(group, Map.of()).getOrDefault(word.toLowerCase(Locale.ROOT), List.of());
    }

    /** A sentence (ending in a space) on how what {@code word} names is done, or "". */
    static String note(String group, String word) {
        return NOTES.getOrDefault((group + " " + word.toLowerCase(Locale.ROOT)).strip(), "");
    }

    /** Every group's words and the commands they lead to (CommandTopicsTest runs each command's --help). */
    static Map<String, Map<String, List<String>>> all() {
        return TOPICS;
    }

    /** A command's qualified name ("rhizome node") as the group key ("node"). */
    static String group(String qualifiedName) {
        return qualifiedName.equals("rhizome") ? "" : qualifiedName.substring("rhizome ".length());
    }
}
