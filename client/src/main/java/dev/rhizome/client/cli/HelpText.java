package dev.rhizome.client.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * Descriptions are written in the source as several strings so the lines stay short, but picocli
 * starts a new line for each string, and its list of commands shows only the first one: a command
 * summary then stopped mid-sentence ("runs jobs, reports signed results,"). This joins the
 * strings of each paragraph again (a string continues the previous one unless that one ended a
 * sentence) and makes the first string exactly the first sentence, for every command at once.
 */
public final class HelpText {
    /** What a --hardware-class value looks like: options named CLASS said nothing of it. */
    public static final String HARDWARE_CLASS = "A class is what nodes report, as `rhizome results` and `rhizome leaderboard` "
            + "show it: cpu:<cpu model> (e.g. cpu:amd-epyc) or gpu:nvidia-<model>-<memory>gb (e.g. gpu:nvidia-h100-80gb).";

    private HelpText() {
    }

    public static void normalize(CommandLine cli) {
        CommandLine.Model.UsageMessageSpec usage = cli.getCommandSpec().usageMessage();
        usage.description(paragraphs(usage.description()));
        for (CommandLine sub : cli.getSubcommands().values()) {
            normalize(sub);
        }
    }

    /**
     * Gives every command's help the root's list of exit codes: an agent reads `rhizome claim
     * --help`, not `rhizome --help`, and found no word there on what 2 or 4 meant.
     */
    public static void shareExitCodes(CommandLine root) {
        CommandLine.Model.UsageMessageSpec rootUsage = root.getCommandSpec().usageMessage();
        for (CommandLine sub : root.getSubcommands().values()) {
            share(sub, rootUsage);
        }
    }

    private static void share(CommandLine cli, CommandLine.Model.UsageMessageSpec from) {
        CommandLine.Model.UsageMessageSpec usage = cli.getCommandSpec().usageMessage();
        if (usage.exitCodeList().isEmpty()) {
            usage.exitCodeListHeading(from.exitCodeListHeading());
            usage.exitCodeList(from.exitCodeList());
        }
        for (CommandLine sub : cli.getSubcommands().values()) {
            share(sub, from);
        }
    }

    static String[] paragraphs(String[] lines) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : lines) {
            if (current.length() > 0) {
                current.append(' ');
            }
            current.append(line.strip());
            if (endsSentence(line) && balanced(current)) {
                out.add(current.toString());
                current.setLength(0);
            }
        }
        if (current.length() > 0) {
            out.add(current.toString());
        }
        if (!out.isEmpty()) {
            String first = out.get(0);
            int end = firstSentenceEnd(first);
            if (end > 0 && end < first.length()) {
                out.set(0, first.substring(0, end));
                out.add(1, first.substring(end).strip());
            }
        }
        return out.toArray(String[]::new);
    }

    private static boolean endsSentence(String line) {
        String s = line.strip();
        return s.isEmpty() || s.endsWith(".") || s.endsWith(":") || s.endsWith("!") || s.endsWith("?")
                || s.endsWith("%n") || s.endsWith(".)") || s.endsWith(".`");
    }

    private static boolean balanced(CharSequence text) {
        int depth = 0;
        for (int i = 0; i < text.length(); i++) {
            depth += text.charAt(i) == '(' ? 1 : text.charAt(i) == ')' ? -1 : 0;
        }
        return depth <= 0;
    }

    /** Where the first sentence ends: after ". " followed by a capital letter or a backquote, outside parentheses. */
    private static int firstSentenceEnd(String text) {
        int depth = 0;
        for (int i = 0; i + 2 < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth = Math.max(0, depth - 1);
            } else if (c == '.' && depth == 0 && text.charAt(i + 1) == ' '
                    && (Character.isUpperCase(text.charAt(i + 2)) || text.charAt(i + 2) == '`')) {
                return i + 1;
            }
        }
        return -1;
    }
}
