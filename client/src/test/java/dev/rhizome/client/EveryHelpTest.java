package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every command's --help, checked at once: a new user (or an agent) reads it to learn what each
 * flag expects, so a flag's value is named for what it is (FILE, SECONDS, COMMIT), never after a
 * Java field (`--kind=<kind>`, `--lease-seconds=<leaseSeconds>`), and an option's description is
 * one paragraph, not cut mid-sentence onto a new line.
 */
class EveryHelpTest {
    private static List<CommandLine> all(CommandLine cli) {
        List<CommandLine> out = new ArrayList<>();
        out.add(cli);
        cli.getSubcommands().values().forEach(sub -> out.addAll(all(sub)));
        return out;
    }

    @Test
    void everyOptionValueIsNamedForWhatItExpectsNotAfterAJavaField() {
        List<String> javaNamed = new ArrayList<>();
        for (CommandLine cli : all(Main.commandLine())) {
            for (OptionSpec option : cli.getCommandSpec().options()) {
                // picocli's default label is the field's name in angle brackets
                if (option.paramLabel().matches("<[a-z][A-Za-z0-9]*>") && option.arity().max() > 0) {
                    javaNamed.add(cli.getCommandSpec().qualifiedName() + " " + option.longestName() + "=" + option.paramLabel());
                }
            }
        }
        assertThat(javaNamed).isEmpty();
    }

    @Test
    void everyCommandsHelpSaysWhatItsExitCodesMean() {
        // an agent reads `rhizome claim --help`, not `rhizome --help`
        List<CommandLine> commands = all(Main.commandLine()).stream()
                .filter(c -> !c.getCommandName().equals("help")).toList();
        assertThat(commands).hasSizeGreaterThan(20);
        for (CommandLine cli : commands) {
            String name = cli.getCommandSpec().qualifiedName();
            List<String> args = new ArrayList<>(List.of(name.split(" ")).subList(1, name.split(" ").length));
            args.add("--help");
            CliRun help = CliRun.of(args.toArray(String[]::new));
            assertThat(help.code()).as(name).isZero();
            assertThat(help.out()).as(name).contains("Exit codes:").contains("unknown_*")
                    .contains("refused by the coordinator");
        }
    }

    @Test
    void everyOptionDescriptionIsOneParagraph() {
        List<String> cut = new ArrayList<>();
        for (CommandLine cli : all(Main.commandLine())) {
            for (OptionSpec option : cli.getCommandSpec().options()) {
                if (option.description().length > 1) {
                    cut.add(cli.getCommandSpec().qualifiedName() + " " + option.longestName());
                }
            }
        }
        assertThat(cut).isEmpty();
    }

    @Test
    void theRootHelpSaysWhereEachRoleStartsInCommandsThatExist() {
        // a newcomer's first `rhizome --help` listed two dozen commands in no order of use
        String help = CliRun.of("--help").succeeded("--help").out();
        assertThat(help).contains("Where to start").contains("an agent:").contains("a volunteer:")
                .contains("an operator:").contains("docs/agents.md");
        String start = help.substring(help.indexOf("Where to start"));
        // picocli wraps past 80 columns, which broke "rhizome direction open" over two lines
        assertThat(start.lines().skip(1).filter(l -> !l.isBlank()).toList()).as(start).allMatch(l -> l.startsWith("  "));
        Matcher named = Pattern.compile("rhizome ([a-z]+)(?: ([a-z]+))?").matcher(start);
        int seen = 0;
        while (named.find()) {
            seen++;
            CommandLine command = Main.commandLine().getSubcommands().get(named.group(1));
            assertThat(command).as(named.group()).isNotNull();
            if (named.group(2) != null) {
                assertThat(command.getSubcommands()).as(named.group()).containsKey(named.group(2));
            }
        }
        assertThat(seen).isGreaterThanOrEqualTo(8);
    }

    @Test
    void theOperatorFlagSaysEverythingAnOperatorMayDo() {
        String help = Main.commandLine().getSubcommands().get("coordinator").getUsageMessage();
        assertThat(help).contains("close directions").contains("ban keys");
    }

    @Test
    void theFirstHoursCommandsShowExamplesThatParseAsWritten() {
        // a new volunteer or operator reads `rhizome node --help`; it named every flag but showed no
        // whole command line to start from
        List<String> withExamples = List.of("node", "node doctor", "coordinator", "coordinator backup", "direction open",
                "direction close", "ban", "status");
        for (String name : withExamples) {
            List<String> args = new ArrayList<>(List.of(name.split(" ")));
            args.add("--help");
            String help = CliRun.of(args.toArray(String[]::new)).out();
            assertThat(help).as(name).contains("Examples:");
            List<String> section = help.substring(help.indexOf("Examples:") + "Examples:".length()).lines()
                    .map(String::strip).filter(l -> !l.isEmpty()).toList();
            // each a whole line to copy: picocli wraps at 80 columns, and a wrapped one no longer ran
            assertThat(section).as(name).allMatch(l -> l.startsWith("rhizome ") || l.startsWith("# "));
            List<String> examples = section.stream().filter(l -> l.startsWith("rhizome ")).toList();
            assertThat(examples).as(name).isNotEmpty();
            for (String line : examples) {
                List<String> words = words(line.replace(" ID", " " + "0".repeat(64)).replace("64HEXDIGITS", "0".repeat(64)));
                assertThat(words.get(0)).isEqualTo("rhizome");
                CommandLine fresh = Main.commandLine();
                // parses: every flag exists and every value converts (nothing runs)
                try {
                    fresh.parseArgs(words.subList(1, words.size()).toArray(String[]::new));
                } catch (CommandLine.ParameterException e) {
                    // a file the user is to write (coordinator.json) is all that may be missing
                    assertThat(e.getMessage()).as(line).contains("no such file");
                }
            }
        }
    }

    /** The words a POSIX shell makes of a simple line: double quotes group, a # starts a comment. */
    private static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                any = true;
            } else if (!quoted && c == '#' && word.length() == 0) {
                break;
            } else if (!quoted && Character.isWhitespace(c)) {
                if (any) {
                    out.add(word.toString());
                }
                word.setLength(0);
                any = false;
            } else {
                word.append(c);
                any = true;
            }
        }
        if (any) {
            out.add(word.toString());
        }
        return out;
    }
}
