package dev.rhizome.client.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * A mistyped command asked for its help (`rhizome stauts --help`, `rhizome help stauts`) is the
 * usage error it is without --help: picocli drops what it did not understand once help is asked
 * for, and printed the parent's help with exit 0 (or "Unknown subcommand" and the whole help),
 * so an agent took the typo for a command that exists. Wrapped around the execution strategy, so
 * the error reporter answers it with "did you mean" and exit 2.
 */
public final class MistypedHelp implements CommandLine.IExecutionStrategy {
    private final CommandLine.IExecutionStrategy next;

    private MistypedHelp(CommandLine.IExecutionStrategy next) {
        this.next = next;
    }

    public static void install(CommandLine cli) {
        cli.setExecutionStrategy(new MistypedHelp(cli.getExecutionStrategy()));
    }

    @Override
    public int execute(ParseResult parseResult) {
        ParseResult last = parseResult;
        while (last.hasSubcommand()) {
            last = last.subcommand();
        }
        if (last.isUsageHelpRequested() && !last.unmatched().isEmpty()) {
            throw new CommandLine.UnmatchedArgumentException(last.commandSpec().commandLine(),
                    new ArrayList<>(last.unmatched()));
        }
        if (last.commandSpec().userObject() instanceof CommandLine.HelpCommand) {
            unknownInHelp(last);
        }
        return next.execute(parseResult);
    }

    /** `rhizome help seed pubish`: the first word that names no command, reported on the command it was looked up in. */
    private static void unknownInHelp(ParseResult help) {
        CommandLine at = help.commandSpec().commandLine().getParent();
        if (at == null) {
            return;
        }
        List<String> words = new ArrayList<>();
        help.matchedPositionals().forEach(p -> words.addAll(p.stringValues()));
        words.addAll(help.unmatched());  // picocli's help takes one word; the rest lands here
        for (String word : words) {
            if (word.startsWith("-")) {
                return;  // `help --json` and the like: options, not command names
            }
            CommandLine sub = at.getSubcommands().get(word);
            if (sub == null) {
                throw new CommandLine.UnmatchedArgumentException(at, List.of(word));
            }
            at = sub;
        }
    }
}
