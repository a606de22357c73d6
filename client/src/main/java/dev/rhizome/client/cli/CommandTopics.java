package dev.rhizome.client.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Words a new user types as a command that name what another command shows (`rhizome frontier`,
 * `rhizome join`): no spelling is near, so "did you mean" had nothing to offer and the user got
 * the whole help. Here each such word leads to the commands that answer it.
 */
final class CommandTopics {
    private static final Map<String, List<String>> TOPICS = Map.ofEntries(
            Map.entry("frontier", List.of("brief", "tree", "leaderboard")),
            Map.entry("experiments", List.of("tree", "results")),
            Map.entry("experiment", List.of("tree", "results")),
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
            Map.entry("publish", List.of("seed publish")),
            Map.entry("open", List.of("direction open")),
            Map.entry("close", List.of("direction close")),
            Map.entry("doctor", List.of("node doctor")),
            Map.entry("pause", List.of("node pause")),
            Map.entry("resume", List.of("node resume")),
            Map.entry("audit", List.of("export", "verify")),
            Map.entry("history", List.of("export", "tree")),
            Map.entry("lease", List.of("renew", "unclaim")),
            Map.entry("release", List.of("unclaim")),
            Map.entry("give-back", List.of("unclaim")));

    private CommandTopics() {
    }

    /** The top-level commands (as words after `rhizome`) that show what {@code word} names; empty when none. */
    static List<String> of(String word) {
        return TOPICS.getOrDefault(word.toLowerCase(Locale.ROOT), List.of());
    }
}
