package dev.rhizome.client.commands;

import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.LeaderboardEntry;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "leaderboard", mixinStandardHelpOptions = true,
        description = "Best commits per direction and hardware class (mean of their results).")
public final class LeaderboardCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--direction", description = "Only this direction (default: all).")
    String direction;
    @Option(names = "--hardware-class", description = "Only this hardware class.")
    String hardwareClass;
    @Option(names = "--limit", defaultValue = "10", description = "Entries per board in the table (default ${DEFAULT-VALUE}).")
    int limit;
    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        CoordinatorClient client = Coordinators.client(coordinator, dataDir);
        List<Leaderboard> boards = new ArrayList<>();
        try {
            List<String> names = new ArrayList<>();
            if (direction != null) {
                names.add(direction);
            } else {
                for (DirectionStatus d : client.directions().getDirectionsList()) {
                    names.add(d.getDirection().getName());
                }
            }
            for (String name : names) {
                boards.addAll(client.leaderboard(name, hardwareClass).getLeaderboardsList());
            }
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e);
        }
        Output out = new Output(System.out);
        if (json) {
            out.jsonList("leaderboards", boards);
            return ExitCodes.OK;
        }
        for (Leaderboard b : boards) {
            out.line(b.getDirection() + " on " + b.getHardwareClass() + " (" + b.getMetricName() + ", "
                    + (b.getLowerIsBetter() ? "lower" : "higher") + " is better)");
            int rank = 0;
            for (LeaderboardEntry e : b.getEntriesList()) {
                if (++rank > limit) {
                    break;
                }
                out.printf("  %2d. %-12s %10.4f  x%-2d %-12s %s%s%n", rank, CommitId.abbreviate(e.getCommit()), e.getMetric(),
                        e.getReplicas(), e.getProposer().isEmpty() ? "-" : PublicId.of(e.getProposer()).shortForm(),
                        dev.rhizome.client.agent.Untrusted.line(e.getDescription(), 80), e.getFrontier() ? "  <- frontier" : "");
            }
        }
        if (boards.isEmpty()) {
            out.line("no results yet");
        }
        return ExitCodes.OK;
    }
}
