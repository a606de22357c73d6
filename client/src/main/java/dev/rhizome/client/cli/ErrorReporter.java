package dev.rhizome.client.cli;

import com.google.gson.JsonObject;
import dev.rhizome.protocol.Printable;
import dev.rhizome.protocol.files.ProcessLock;
import dev.rhizome.protocol.identity.UnusableKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine;

/**
 * How every command fails, in one place: a line on standard error, and with {@code --json} also
 * one object {@code {"error", "message", "hint", "option"}} on standard output, with the exit codes of
 * {@link ExitCodes}. Installed once on the root command line, so no command carries its own copy.
 */
public final class ErrorReporter implements CommandLine.IExecutionExceptionHandler,
        CommandLine.IParameterExceptionHandler {
    private ErrorReporter() {
    }

    public static void install(CommandLine cli) {
        ErrorReporter reporter = new ErrorReporter();
        cli.setExecutionExceptionHandler(reporter);
        cli.setParameterExceptionHandler(reporter);
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, ParseResult parseResult) {
        // Anything that is not a CommandException was not foreseen: it still gets one readable
        // line, and its stack trace only on request (a trace is noise to a user or an agent).
        CommandException ce = explain(e);
        if (ce.hint().isEmpty()) {
            // every failure says what to do next, even where the code that threw it had nothing to add
            ce = ce.withHint(defaultHint(ce.exitCode(), commandLine.getCommandSpec().qualifiedName(),
                    followUp(commandLine)));
        }
        if (ce.exitCode() == ExitCodes.UNREACHABLE && ce.getMessage().contains(CoordinatorOption.defaultUrl())
                && namesNoCoordinator(parseResult)) {
            // a new user does not know that nothing named the coordinator and a default was tried
            ce = ce.withHint("no --coordinator was given (nor "
                    + "RHIZOME_COORDINATOR), so the default " + CoordinatorOption.defaultUrl() + " was tried: pass "
                    + "--coordinator http://HOST:PORT (or set RHIZOME_COORDINATOR), or start one there with "
                    + "`rhizome coordinator`");
        }
        if (ce.exitCode() == ExitCodes.UNREACHABLE && namesNoCoordinatorItself(parseResult)) {
            CommandException told = ce;
            ce = claimOf(parseResult).filter(c -> told.getMessage().contains(c.coordinator()))
                    .map(c -> told.withHint("the coordinator "
                            + c.coordinator() + " is the one this workspace's claim recorded (" + c.unitId() + ", in "
                            + ".git/rhizome-claim): start it again there, or, if it moved, pass --coordinator "
                            + "http://HOST:PORT (a new coordinator does not know this claim: then claim again)"))
                    .orElse(ce);
        }
        if (ce.exitCode() == ExitCodes.UNREACHABLE && !namesNoCoordinatorItself(parseResult)) {
            ce = setBy(ce, parseResult);
        }
        // The message may quote the coordinator's words, and those quote what was sent (Output)
        commandLine.getErr().println(Printable.shown("rhizome: " + ce.getMessage()
                + (ce.hint().isEmpty() ? "" : " (" + ce.hint() + ")")));
        if (!(e instanceof CommandException) && Problems.debug()) {
            e.printStackTrace(commandLine.getErr());
        }
        commandLine.getErr().flush();
        if (wantsJson(parseResult)) {
            JsonObject o = ErrorFields.put(new JsonObject(), ce.error(), ce.getMessage(), ce.hint(), ce.option());
            ce.keys().entrySet().forEach(k -> o.add(k.getKey(), k.getValue()));
            new Output(System.out).json(o);
            System.out.flush();
        }
        return ce.exitCode();
    }

    /**
     * Any failure as the command's error: itself when it is one; a lock held by another process,
     * a key that cannot be used, each with its own words; anything else unforeseen, as {@code failed}.
     */
    public static CommandException explain(Throwable e) {
        return e instanceof CommandException c ? c
                : held(e) instanceof ProcessLock.Held h ? inUse(h)
                : cause(e, UnusableKey.class) instanceof
                        UnusableKey k ? Coordinators.unusableKey(k)
                : new CommandException(ExitCodes.FAILED, "failed", Problems.describe(e),
                        // the next step first: such a message often names it ("stop it first"), and
                        // a hint of only "set RHIZOME_DEBUG=1" read as if a trace were the way out
                        "fix what the message names and run the command again"
                                + (Problems.debug() ? "" : " (RHIZOME_DEBUG=1 prints the stack trace)"));
    }

    /** The first of the causes of that type; null when none is. */
    private static Throwable cause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return t;
            }
        }
        return null;
    }

    /** The lock another process holds, wherever it is in the causes; null when none is. */
    private static Throwable held(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ProcessLock.Held) {
                return t;
            }
        }
        return null;
    }

    /**
     * {@code in_use}: a second node or coordinator on a data directory one already runs on. It was
     * the unforeseen-failure line, whose remedy sat inside the message with "fix what the message
     * names" and a word about stack traces after it.
     */
    private static CommandException inUse(ProcessLock.Held h) {
        String pid = h.holder().replaceAll("\\D", "");
        return new CommandException(ExitCodes.FAILED, "in_use", h.what() + " is in use by another running process"
                + h.holder(), "stop that process first" + (pid.isEmpty() ? "" : " (`kill " + pid + "`)")
                + ", or give this one a --data-dir of its own", "--data-dir");
    }

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
        if (e.getCause() instanceof PathArguments.Problem problem && e.getArgSpec() != null) {
            return pathProblem(e, problem, args);
        }
        if (e instanceof CommandLine.MissingParameterException && !e.getCommandLine().getUnmatchedArguments().isEmpty()) {
            // `brief --dirction lr` said "needs --direction": picocli checks required options
            // before it reports words it did not understand, and the typo is the real mistake
            e = new CommandLine.UnmatchedArgumentException(e.getCommandLine(), e.getCommandLine().getUnmatchedArguments());
        }
        e = optionalValueRefused(e, args).orElse(e);
        CommandLine cli = e.getCommandLine();
        String message = message(e);
        String help = "see `" + cli.getCommandSpec().qualifiedName() + " --help`";
        List<String> meant = suggestions(e);
        if (meant.isEmpty()) {
            meant = reordered(e, args).map(List::of).orElse(List.of());
        }
        if (meant.isEmpty()) {
            meant = flagFor(e).map(List::of).orElse(List.of());
        }
        String hint = meant.isEmpty() ? missingHint(e, args, help) : Sentences.join(Suggestions.phrase(meant), topicNote(e), help);
        cli.getErr().println(Printable.shown("rhizome: " + message));
        // The message names the problem; the whole help after it would bury it (and an agent
        // reading the output would have to dig it out), so point to --help instead.
        // A group of subcommands (rhizome, seed, bench...) still lists them: that list is what was missing.
        boolean group = !cli.getSubcommands().isEmpty()
                && cli.getCommandSpec().options().stream().allMatch(o -> o.usageHelp() || o.versionHelp());
        if (meant.isEmpty() && group) {
            cli.usage(cli.getErr());
        } else {
            cli.getErr().println(hint);
        }
        cli.getErr().flush();
        if (Arrays.asList(args).contains("--json")) {
            printJson("usage", message, hint, option(e));
        }
        return ExitCodes.USAGE;
    }

    /**
     * `node --explore tru`: an option whose value may be left out (true|false) does not take a
     * word that is not one of its values, so picocli left it over, and `node` called it "not a
     * command". It is that option's refused value: said as every refused value is, with the
     * nearest value offered.
     */
    static Optional<CommandLine.ParameterException> optionalValueRefused(CommandLine.ParameterException e,
            String[] args) {
        String word = unmatched(e);
        if (word == null || word.startsWith("-")) {
            return Optional.empty();
        }
        CommandLine cli = e.getCommandLine();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].equals(word)) {
                continue;
            }
            CommandLine.Model.OptionSpec before = cli.getCommandSpec().findOption(args[i - 1]);
            if (before != null && before.arity().min() == 0 && before.arity().max() == 1
                    && (before.type() == boolean.class || before.type() == Boolean.class)) {
                return Optional.of(new CommandLine.ParameterException(cli, "invalid value", new BadValue(
                        BadValue.booleanForm(before, before.longestName()), List.of("true", "false")), before, word));
            }
        }
        return Optional.empty();
    }

    /** A path argument that cannot be what its option needs (PathArguments): exit 2, naming the option and the path. */
    private static int pathProblem(CommandLine.ParameterException e, PathArguments.Problem problem, String[] args) {
        CommandLine cli = e.getCommandLine();
        String message = PathArguments.message(e.getArgSpec(), problem);
        String hint = PathArguments.hint(problem, cli.getCommandSpec().qualifiedName());
        cli.getErr().println(Printable.shown("rhizome: " + message + " (" + hint + ")"));
        cli.getErr().flush();
        if (Arrays.asList(args).contains("--json")) {
            printJson(PathArguments.errorName(e.getArgSpec()), message, hint, option(e));
        }
        return ExitCodes.USAGE;
    }

    /** Where to find the value of a missing option an agent most often lacks, then the help. */
    private static String missingHint(CommandLine.ParameterException e, String[] args, String help) {
        if (!(e instanceof CommandLine.MissingParameterException m)) {
            return help;
        }
        List<String> where = new ArrayList<>();
        for (CommandLine.Model.ArgSpec a : m.getMissing()) {
            if (a instanceof CommandLine.Model.OptionSpec o) {
                switch (o.longestName()) {
                    case "--direction" -> where.add("`" + followUp(e.getCommandLine()).command("direction list")
                            + "` shows the directions");
                    case "--commit" -> where.add(ImpliedDirection.treeCommandForHint(typedDirection(args),
                            mixin(e.getCommandLine(), CoordinatorOption.class),
                            mixin(e.getCommandLine(), DataDirOption.class)) + " shows the commits");
                    case "--unit" -> where.add("the unit is the id `rhizome claim` printed");
                    default -> { }
                }
            }
        }
        return where.isEmpty() ? help : String.join("; ", where) + "; " + help;
    }

    /** The {@code --direction} typed (either form), or null. */
    private static String typedDirection(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--direction") && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith("--direction=")) {
                return args[i].substring("--direction=".length());
            }
        }
        return null;
    }

    /** The command's {@code --coordinator}, as far as it was parsed before the error; null for a command without one. */
    /** The --data-dir and --coordinator a command has (given or defaulted; null: it has no such option). */
    private static FollowUp followUp(CommandLine cli) {
        CoordinatorOption coordinator = mixin(cli, CoordinatorOption.class);
        DataDirOption dataDir = mixin(cli, DataDirOption.class);
        return new FollowUp(coordinator == null ? null : coordinator.url(), dataDir == null ? null : dataDir.path());
    }

    private static <T> T mixin(CommandLine cli, Class<T> type) {
        return cli.getCommandSpec().mixins().values().stream().map(CommandLine.Model.CommandSpec::userObject)
                .filter(type::isInstance).map(type::cast).findFirst().orElse(null);
    }

    /** The word not understood, without an option's {@code =value}; null when it was something else. */
    private static String unmatched(CommandLine.ParameterException e) {
        if (!(e instanceof CommandLine.UnmatchedArgumentException u) || u.getUnmatched().isEmpty()) {
            return null;
        }
        String first = u.getUnmatched().get(0);
        return first.startsWith("-") && first.contains("=") ? first.substring(0, first.indexOf('=')) : first;
    }

    /** How what a word typed as a command names is done where no command does it (`node stop`), or "". */
    private static String topicNote(CommandLine.ParameterException e) {
        String word = unmatched(e);
        if (word == null || word.startsWith("-") || e.getCommandLine().getSubcommands().isEmpty()) {
            return "";
        }
        return CommandTopics.note(CommandTopics.group(e.getCommandLine().getCommandSpec().qualifiedName()), word);
    }

    /** What a mistyped command or option most likely meant, written as it is typed (`rhizome brief`, --direction). */
    static List<String> suggestions(CommandLine.ParameterException e) {
        List<String> choices = BadValue.choicesOf(e);
        if (!choices.isEmpty() && e.getValue() != null) {
            // `--kind explor`: a value from a known set is offered the nearest, as a mistyped command is
            return Suggestions.closest(e.getValue(), choices);
        }
        String word = unmatched(e);
        if (word == null) {
            return List.of();
        }
        CommandLine cli = e.getCommandLine();
        if (word.startsWith("-")) {
            List<String> options = cli.getCommandSpec().options().stream()
                    .flatMap(o -> Arrays.stream(o.names())).filter(n -> n.startsWith("--")).toList();
            return Suggestions.closest(word, options);
        }
        if (cli.getSubcommands().isEmpty()) {
            return List.of();
        }
        List<String> commands = cli.getSubcommands().keySet().stream().filter(k -> !k.equals("help")).toList();
        List<String> close = Suggestions.closest(word, commands);
        if (close.isEmpty()) {
            return CommandTopics.of(CommandTopics.group(cli.getCommandSpec().qualifiedName()), word).stream()
                    .map(c -> "`rhizome " + c + "`").toList();
        }
        return close.stream().map(c -> "`" + cli.getCommandSpec().qualifiedName() + " " + c + "`").toList();
    }

    /**
     * `rhizome --json status`: an option written before the command it belongs to (as other tools
     * take global options) was answered with the whole help; this is the same words with the
     * options after the command, as they run.
     */
    static Optional<String> reordered(CommandLine.ParameterException e, String[] args) {
        String word = unmatched(e);
        CommandLine cli = e.getCommandLine();
        int depth = cli.getCommandSpec().qualifiedName().split(" ").length - 1;
        if (word == null || !word.startsWith("-") || cli.getSubcommands().isEmpty() || depth > args.length) {
            return Optional.empty();
        }
        List<String> words = Arrays.asList(args);
        List<String> rest = words.subList(depth, words.size());
        for (int j = 1; j < rest.size(); j++) {
            if (cli.getSubcommands().containsKey(rest.get(j))) {
                List<String> fixed = new ArrayList<>(words.subList(0, depth));
                fixed.addAll(rest.subList(j, rest.size()));
                fixed.addAll(rest.subList(0, j));
                return Optional.of("`rhizome " + String.join(" ", fixed.stream().map(Shell::quote).toList())
                        + "` (options go after the command they are for)");
            }
        }
        return Optional.empty();
    }

    /**
     * `rhizome claim lr`: a value written without its flag, on a command that takes options only,
     * is most likely the value of the first option not given, in the order declared, of those the
     * command needs and its --direction (the option agents give most, required or implied).
     */
    static Optional<String> flagFor(CommandLine.ParameterException e) {
        String word = unmatched(e);
        CommandLine cli = e.getCommandLine();
        if (word == null || word.startsWith("-") || !cli.getSubcommands().isEmpty()
                || !cli.getCommandSpec().positionalParameters().isEmpty()) {
            return Optional.empty();
        }
        ParseResult parsed = cli.getParseResult();
        Predicate<CommandLine.Model.OptionSpec> given = o -> parsed != null && parsed.hasMatchedOption(o);
        List<CommandLine.Model.OptionSpec> options = cli.getCommandSpec().options();
        // in the order declared: `agent lr` is --direction's value (declared first, and no longer
        // required since it may be implied), `wait abc` --commit's (implied in a submitted workspace)
        return options.stream().filter(o -> (o.required() || o.longestName().equals("--direction")
                || o.longestName().equals("--commit")) && !given.test(o))
                .findFirst()
                .map(o -> "`" + o.longestName() + " " + Shell.quote(word) + "` (an option's value goes after its flag)");
    }

    /**
     * picocli's words for an argument nobody takes ("Unmatched arguments from index 0: 'bogus',
     * '--json'", or "Unknown options: '--dirction', 'lr'", which counts the option's value as a
     * second unknown option) name neither the mistake nor the command; this says which word was
     * not understood and, for a command with subcommands, what they are.
     */
    static String message(CommandLine.ParameterException e) {
        String bad = BadValue.messageOf(e);
        if (bad != null) {
            return bad;
        }
        if (e instanceof CommandLine.MissingParameterException m && !m.getMissing().isEmpty()) {
            // picocli's "Missing required option: '--direction=DIRECTION'" reads like a value to type;
            // options of a group that takes one of them (seed publish --dir | --builtin) are "or"
            boolean oneOf = m.getMissing().stream().allMatch(a -> a.group() != null && a.group().exclusive());
            return "`" + e.getCommandLine().getCommandSpec().qualifiedName() + "` needs "
                    + (oneOf && m.getMissing().size() > 1 ? "one of " : "")
                    + String.join(oneOf ? " or " : " and ", m.getMissing().stream()
                            .map(a -> a instanceof CommandLine.Model.OptionSpec o ? o.longestName() + " " + o.paramLabel()
                                    : a.paramLabel()).toList());
        }
        String first = unmatched(e);
        CommandLine cli = e.getCommandLine();
        String name = cli.getCommandSpec().qualifiedName();
        if (first == null && !cli.getSubcommands().isEmpty()) {
            // a group run without its command: picocli's "Missing required subcommand", `rhizome`'s
            // "a subcommand is required" and `bench`'s own words, three ways of saying one thing
            return "`" + name + "` needs a command: " + String.join(", ", commands(cli));
        }
        if (first == null) {
            return e.getMessage();
        }
        if (first.startsWith("-")) {
            return "unknown option '" + first + "': `" + name + "` has no such option";
        }
        if (!cli.getSubcommands().isEmpty()) {
            return "'" + first + "' is not a command of `" + name + "` (its commands: " + String.join(", ", commands(cli)) + ")";
        }
        return "unexpected argument '" + first + "': `" + name + "` takes "
                + (cli.getCommandSpec().positionalParameters().isEmpty() ? "options only (--NAME VALUE)" : "no more arguments");
    }

    /** The commands of a group, as its usage lists them, without picocli's `help`. */
    private static List<String> commands(CommandLine cli) {
        return cli.getSubcommands().keySet().stream().filter(k -> !k.equals("help")).toList();
    }

    /** What to do about a failure whose code gave no hint of its own, by its kind (exit code). */
    static String defaultHint(int exitCode, String command, FollowUp where) {
        return switch (exitCode) {
            case ExitCodes.USAGE -> "see `" + command + " --help`";
            case ExitCodes.NO_WORK -> "try again later";
            case ExitCodes.REFUSED -> "the coordinator refused for the reason in the message; "
                    + "`" + where.command("seed list") + "` and `" + where.command("direction list") + "` show what it has";
            case ExitCodes.UNREACHABLE -> "start the coordinator or pass --coordinator URL (or set RHIZOME_COORDINATOR)";
            case ExitCodes.TIMED_OUT -> "wait again, with a longer --timeout";
            default -> "fix what the message names and run the command again";
        };
    }

    /**
     * The option a refused command line is about, as typed ({@code --lease-seconds}): the one whose
     * value was refused, the first one missing, or the unknown one; null when the problem is a
     * command word or a positional argument's.
     */
    static String option(CommandLine.ParameterException e) {
        if (e instanceof CommandLine.MissingParameterException m) {
            return m.getMissing().stream().filter(a -> a instanceof CommandLine.Model.OptionSpec)
                    .map(a -> ((CommandLine.Model.OptionSpec) a).longestName()).findFirst().orElse(null);
        }
        if (e.getArgSpec() instanceof CommandLine.Model.OptionSpec o) {
            return o.longestName();
        }
        String word = unmatched(e);
        return word != null && word.startsWith("-") ? word : null;
    }

    /** Commands write their answers to System.out, so the error object goes there too. */
    private static void printJson(String error, String message, String hint, String option) {
        new Output(System.out).json(ErrorFields.put(new JsonObject(), error, message, hint, option));
        System.out.flush();
    }

    /** Whether nothing named a coordinator: no --coordinator, no RHIZOME_COORDINATOR, no workspace claim here. */
    private static boolean namesNoCoordinator(ParseResult parseResult) {
        return namesNoCoordinatorItself(parseResult) && WorkspaceClaim.ofWorkingDirectory().isEmpty();
    }

    /**
     * An unreachable coordinator whose URL the user gave: the hint names where it came from (the
     * flag, or RHIZOME_COORDINATOR set long ago in a shell profile), and a typed --coordinator is
     * the {@code option}, the value most likely to be wrong. "pass --coordinator URL" told a user
     * who had passed one nothing.
     */
    private static CommandException setBy(CommandException ce, ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
            if (p.hasMatchedOption("--coordinator")) {
                String url = p.matchedOptionValue("--coordinator", "");
                return ce.withHint("the URL " + url + " came from --coordinator: check it (host, port, http://), start "
                        + "the coordinator there (`rhizome coordinator --port PORT`), or retry if it is only slow")
                        .withOption("--coordinator");
            }
        }
        String env = System.getenv("RHIZOME_COORDINATOR");
        return ce.withHint("the URL " + env + " came from the environment variable RHIZOME_COORDINATOR: check it, "
                + "change it, or pass --coordinator http://HOST:PORT (which wins over it); or start the coordinator there, "
                + "or retry if it is only slow");
    }

    /** Whether the user named no coordinator (no --coordinator, no RHIZOME_COORDINATOR): a default or a claim's was used. */
    private static boolean namesNoCoordinatorItself(ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
            if (p.hasMatchedOption("--coordinator")) {
                return false;
            }
        }
        String env = System.getenv("RHIZOME_COORDINATOR");
        return env == null || env.isBlank();
    }

    /** The claim of the workspace the command named (--workspace) or runs in, whose coordinator it then used. */
    private static Optional<WorkspaceClaim> claimOf(ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
            if (p.hasMatchedOption("--workspace") && p.matchedOptionValue("--workspace", null) instanceof Path w) {
                return WorkspaceClaim.read(w);
            }
        }
        return WorkspaceClaim.ofWorkingDirectory();
    }

    static boolean wantsJson(ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
            if (p.hasMatchedOption("--json")) {
                return true;
            }
        }
        return false;
    }
}
