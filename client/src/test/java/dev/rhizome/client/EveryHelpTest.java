package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
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
    void theOperatorFlagSaysEverythingAnOperatorMayDo() {
        String help = Main.commandLine().getSubcommands().get("coordinator").getUsageMessage();
        assertThat(help).contains("close directions").contains("ban keys");
    }
}
