package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.agent.AgentLoop;
import dev.rhizome.client.agent.Research;
import dev.rhizome.client.agent.RoundText;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.ImpliedDirection;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.HelpText;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run any coding agent as a researcher on a direction, round after round: claim, write the brief",
            "($RHIZOME_BRIEF), run --cmd in a fresh workspace with a time limit, commit what it changed, check the seed's",
            "rules, submit with the paper it wrote to $RHIZOME_PAPER (or a generated one), wait for the result or move on.",
            "Progress goes to standard error; --json prints one line per round and ends with the summary line",
            "(rounds, submitted, results, adopted, papers, best_metric). See docs/agents.md."})
public final class AgentCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--direction", description = ImpliedDirection.HELP, paramLabel = "DIRECTION")
    String direction;
    @Option(names = "--cmd", required = true, paramLabel = "COMMAND",
            description = "The agent command, run with /bin/sh -c in the workspace (e.g. \"claude -p \\\"$(cat $RHIZOME_BRIEF)\\\"\").")
    String command;
    @Option(names = "--rounds", converter = Bounded.PositiveInt.class, defaultValue = "1", description = "Rounds to run (default ${DEFAULT-VALUE}).", paramLabel = "N")
    int rounds;
    @Option(names = "--round-timeout", converter = Bounded.PositiveSeconds.class, paramLabel = "SECONDS", defaultValue = "1800",
            description = "Kill the command after this long (default ${DEFAULT-VALUE}).")
    long roundTimeout;
    @Option(names = "--hypothesis", paramLabel = "SENTENCE", description = "Stated with every claim (near-duplicate warnings).")
    String hypothesis;
    @Option(names = "--no-wait", description = "Move on after submitting instead of waiting for the result.")
    boolean noWait;
    @Option(names = "--wait-timeout", converter = Bounded.NonNegativeSeconds.class, paramLabel = "SECONDS", defaultValue = "1800",
            description = "Stop waiting for a result after this long (default ${DEFAULT-VALUE}).")
    long waitTimeout;
    @Option(names = "--claim-patience", converter = Bounded.NonNegativeSeconds.class, paramLabel = "SECONDS", defaultValue = "300",
            description = "Keep retrying a claim that gets no work for this long (default ${DEFAULT-VALUE}).")
    long claimPatience;
    @Option(names = "--workspaces", paramLabel = "DIR", converter = PathArguments.DataDirectory.class, description = "Where round workspaces go (default: <data dir>/agent/workspaces).")
    Path workspaces;
    @Option(names = "--hardware-class", defaultValue = "any", description = "Hardware class to claim for (default ${DEFAULT-VALUE}: any). " + HelpText.HARDWARE_CLASS, paramLabel = "CLASS")
    String hardwareClass;
    @Option(names = "--json", description = "One JSON line per round: round, unit, base, claim_ms, workspace, brief, command_exit, command_timed_out, command_ms, command_log, submitted, commit, parent, paper_id, paper_generated, similar_diffs, outcome (as `rhizome wait --json`); reason, or error, message, hint and option, when a round submitted nothing. Then the summary line: rounds, submitted, results, adopted, papers, best_metric.")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
        direction = ImpliedDirection.resolve(direction, coordinator, dataDir, "agent");
        Research research = new Research(Coordinators.client(coordinator, dataDir), dataDir.path());
        Path ws = workspaces != null ? workspaces.toAbsolutePath() : dataDir.path().resolve("agent").resolve("workspaces");
        AgentLoop loop = new AgentLoop(research, new AgentLoop.Settings(direction, command, rounds, hypothesis,
                hardwareClass, Duration.ofSeconds(roundTimeout), Duration.ofSeconds(claimPatience), !noWait,
                Duration.ofSeconds(waitTimeout), ws, coordinator.url()), m -> System.err.println("rhizome agent: " + m));
        Output out = new Output(System.out);
        for (int n = 1; n <= rounds; n++) {
            JsonObject round = loop.round(n);
            if (json) {
                out.json(round);
            } else {
                out.line(RoundText.of(round));
            }
        }
        JsonObject summary = loop.summary(rounds);
        if (json) {
            out.json(summary);
        } else {
            out.line(String.format(Locale.ROOT,
                    "%d round(s): %d submitted, %d with results, %d adopted, %d paper(s), best metric %s",
                    rounds, summary.get("submitted").getAsInt(), summary.get("results").getAsInt(),
                    summary.get("adopted").getAsInt(), summary.get("papers").getAsInt(),
                    summary.get("best_metric").isJsonNull() ? "-" : summary.get("best_metric").getAsString()));
        }
        return ExitCodes.OK;
    }
}
