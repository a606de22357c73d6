package dev.rhizome.client;

import dev.rhizome.client.cli.CommandWord;
import dev.rhizome.client.cli.ErrorReporter;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.HelpText;
import dev.rhizome.client.cli.Interrupts;
import dev.rhizome.client.cli.MistypedHelp;
import dev.rhizome.client.commands.AgentCommand;
import dev.rhizome.client.commands.BanCommand;
import dev.rhizome.client.commands.BenchCommand;
import dev.rhizome.client.commands.BriefCommand;
import dev.rhizome.client.commands.ClaimCommand;
import dev.rhizome.client.commands.CoordinatorCommand;
import dev.rhizome.client.commands.DemoCommand;
import dev.rhizome.client.commands.DirectionCommand;
import dev.rhizome.client.commands.ExportCommand;
import dev.rhizome.client.commands.IdCommand;
import dev.rhizome.client.commands.LeaderboardCommand;
import dev.rhizome.client.commands.LogCommand;
import dev.rhizome.client.commands.NodeCommand;
import dev.rhizome.client.commands.PapersCommand;
import dev.rhizome.client.commands.PublishCommand;
import dev.rhizome.client.commands.RenewCommand;
import dev.rhizome.client.commands.ResultsCommand;
import dev.rhizome.client.commands.SeedCommand;
import dev.rhizome.client.commands.StatusCommand;
import dev.rhizome.client.commands.SubmitCommand;
import dev.rhizome.client.commands.TreeCommand;
import dev.rhizome.client.commands.UnclaimCommand;
import dev.rhizome.client.commands.VerifyCommand;
import dev.rhizome.client.commands.WaitCommand;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The rhizome command: every role (operator, volunteer, agent) is a subcommand. */
@Command(name = "rhizome", mixinStandardHelpOptions = true, version = "rhizome 0.1.0",
        description = "Peer-to-peer volunteer compute for agent-driven ML research.",
        subcommands = {
            IdCommand.class, CoordinatorCommand.class, NodeCommand.class, SeedCommand.class,
            DirectionCommand.class, ClaimCommand.class, SubmitCommand.class, PapersCommand.class, PublishCommand.class,
            LeaderboardCommand.class, ResultsCommand.class, StatusCommand.class, DemoCommand.class,
            BenchCommand.class, BriefCommand.class, RenewCommand.class, UnclaimCommand.class, WaitCommand.class, TreeCommand.class, LogCommand.class,
            AgentCommand.class, ExportCommand.class, VerifyCommand.class, BanCommand.class,
            CommandLine.HelpCommand.class
        },
        // `rhizome --help` is a newcomer's first read: it listed commands in no order of use.
        footerHeading = "%nWhere to start (every command's --help has more; agents: docs/agents.md):%n",
        footer = {
            "  an agent:     rhizome brief (the rules, what was tried, what came of it),",
            "                rhizome claim --hypothesis \"...\" --workspace ws; edit ws and",
            "                git commit; in ws, rhizome submit --wait --json; then",
            "                rhizome publish --paper finding.md",
            "  a volunteer:  rhizome node doctor, then rhizome node --coordinator URL",
            "  an operator:  rhizome coordinator, then rhizome seed publish and",
            "                rhizome direction open",
            "  to watch:     rhizome demo (a coordinator and 3 nodes on this machine)"
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:failure here (files, fetch, I/O)",
            "2:bad arguments: an option or value, or a name that names nothing (every unknown_* error: a direction, seed, commit, unit...); change what was typed",
            "3:no work available (claim)",
            "4:refused by the coordinator though understood (a closed direction, an expired lease, a key's rights); retyping does not fix it",
            "5:coordinator unreachable",
            "6:timed out waiting (wait, submit --wait)",
            "7:every node that can run the awaited evaluations is paused (wait, submit --wait); resume one, then wait again",
            "130:interrupted by Ctrl-C (SIGINT)",
            "143:stopped by SIGTERM"
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        ErrorReporter.install(cli);
        MistypedHelp.install(cli);
        Interrupts.followParse(cli);
        // `--kind EXPLORE` means what `--kind explore` does
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        HelpText.normalize(cli);
        HelpText.shareExitCodes(cli);
        return cli;
    }

    public static void main(String[] args) {
        if (!CommandWord.isService(List.of(args))) {
            // before anything logs (logback.xml reads it once): see logback.xml
            System.setProperty("rhizome.fetch.log", "ERROR");
        }
        Interrupts.install(args);
        int code;
        try {
            code = commandLine().execute(args);
        } catch (Throwable unforeseen) {
            // picocli passes an Error on (a class that cannot be loaded: the jar rewritten under us):
            // a main thread ending with it left a coordinator's server threads running, the process
            // deaf to every later SIGTERM. Halted, not exited: a shutdown hook may need such a class too.
            unforeseen.printStackTrace();
            Runtime.getRuntime().halt(ExitCodes.FAILED);
            return;
        }
        Interrupts.finished();
        System.exit(code);
    }
}
