package dev.rhizome.client.cli;

import java.util.List;
import java.util.Set;

/**
 * Which command a `rhizome` argument list runs, and whether it is a long-running service: the rule
 * the launcher script (src/main/bin/rhizome) applies in shell to pick the JIT, and Main applies to
 * pick how much fetch logging a command shows. The command is the first word that is not an option
 * (picocli takes `rhizome`'s own options before it: `rhizome --help node` is help, not a node). A
 * service's own quick subcommands (`node status`, `coordinator backup`, ...) and any --help or
 * --version are not services. LauncherTest holds the script to this class's answers.
 */
public final class CommandWord {
    /** Commands that run for as long as they are let: their logs are their progress. */
    public static final Set<String> SERVICES = Set.of("node", "coordinator", "demo", "bench");
    /** Subcommands of a service that answer at once. */
    public static final Set<String> QUICK_SUBCOMMANDS = Set.of("node status", "node pause", "node resume",
            "node doctor", "node receipts", "coordinator backup");
    private static final Set<String> HELP = Set.of("-h", "--help", "-V", "--version");

    private CommandWord() {
    }

    /** Whether {@code args} start a service (a node, a coordinator, the demo, a benchmark). */
    public static boolean isService(List<String> args) {
        String command = null;
        for (String word : args) {
            if (HELP.contains(word)) {
                return false;
            }
            if (word.startsWith("-")) {
                continue;
            }
            if (command == null) {
                command = word;
                if (!SERVICES.contains(command)) {
                    return false;
                }
            } else if (QUICK_SUBCOMMANDS.contains(command + " " + word)) {
                return false;
            }
        }
        return command != null;
    }
}
