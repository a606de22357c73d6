package dev.rhizome.client.commands;

import dev.rhizome.client.agent.Records;
import dev.rhizome.client.agent.ResearchTree;
import dev.rhizome.client.cli.HelpText;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.ImpliedDirection;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.client.agent.ComparedBoard;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.Seed;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "tree", mixinStandardHelpOptions = true,
        description = {"A direction's research tree: every experiment under its parent with its metric, the adopted path",
            "from the base to the frontier (*), merges with both parents, and dead ends."})
public final class TreeCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--direction", description = ImpliedDirection.HELP, paramLabel = "DIRECTION")
    String direction;
    @Option(names = "--hardware-class", description = "Metrics of this hardware class (default: the first measured). " + HelpText.HARDWARE_CLASS, paramLabel = "CLASS")
    String hardwareClass;
    @Option(names = "--json", description = "Print one JSON object: direction, base, base_commit (the same commit as base), frontier, frontier_commit (the same commit as frontier), metric_name, lower_is_better, hardware_class (the class the direction's results are measured on: that of its first result; null before one), hardware_class_pending (true until that first result sets it), nodes.")
    boolean json;

    @Override
    public Integer call() {
        direction = ImpliedDirection.resolve(direction, coordinator, dataDir, "tree");
        ResearchTree tree = Coordinators.read(coordinator, dataDir, c -> {
            DirectionStatus d = Coordinators.direction(c, direction, FollowUp.of(coordinator, dataDir));
            List<Leaderboard> boards = c.leaderboard(direction, hardwareClass).getLeaderboardsList();
            var manifest = c.seeds().getSeedsList().stream()
                    .filter(s -> s.getName().equals(d.getDirection().getSeed())).findFirst()
                    .map(Seed::getManifest);
            double tolerance = manifest.map(m -> m.getMetric().getTolerance()).orElse(0.0);
            // before any result there is no leaderboard, and its defaults said "lower_is_better": false
            // of a lower-is-better seed: the seed's manifest says what the metric is
            Leaderboard unmeasured = manifest.map(m -> Leaderboard.newBuilder().setMetricName(m.getMetric().getName())
                    .setLowerIsBetter(m.getMetric().getLowerIsBetter()).build()).orElse(Leaderboard.getDefaultInstance());
            return new ResearchTree(direction, d.getDirection().getBaseCommit(), d.getFrontierCommit(),
                    Records.experiments(c, direction), boards.isEmpty() ? unmeasured : ComparedBoard.of(boards),
                    Records.results(c.results(direction, "").getEnvelopesList()), tolerance);
        });
        Output out = new Output(System.out);
        if (json) {
            out.json(tree.json());
        } else {
            out.stream().print(tree.text());
        }
        return ExitCodes.OK;
    }
}
