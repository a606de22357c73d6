package dev.rhizome.client.commands;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.agent.Untrusted;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.HelpText;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.Unknown;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.LeaderboardEntry;
import dev.rhizome.proto.v1.Volunteer;
import dev.rhizome.proto.v1.VolunteerList;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "leaderboard", mixinStandardHelpOptions = true,
        description = "Best commits per direction and hardware class (mean of their results); with --volunteers, "
                + "volunteers by credit.")
public final class LeaderboardCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--direction", description = "Only this direction (default: all).", paramLabel = "DIRECTION")
    String direction;
    @Option(names = "--hardware-class", description = "Only this hardware class. " + HelpText.HARDWARE_CLASS, paramLabel = "CLASS")
    String hardwareClass;
    @Option(names = "--limit", converter = Bounded.PositiveInt.class, defaultValue = "10", description = "Entries per board in the table (default ${DEFAULT-VALUE}).", paramLabel = "N")
    int limit;
    @Option(names = "--json", description = "Print one JSON object: leaderboards (direction, hardware_class, metric_name, "
            + "lower_is_better, entries, entries_left_out, compared: the class the direction compares in); with --volunteers, volunteers, most credit first, each {key, "
            + "key_id, credit_seconds, valid, invalid, errors, consecutive_valid, daily_quota, leased_today, trusted}: key "
            + "and key_id are the same 64-hex public id (what `rhizome id` prints and `ban --key` takes), key_id as every "
            + "other command names a key (runner_id, node_id, ...), key as this answer always had it; both stay.")
    boolean json;

    @Option(names = "--volunteers", description = "Rank volunteers by credit (compute seconds of valid results) "
            + "instead of commits.")
    boolean volunteers;

    @Override
    public Integer call() {
        if (volunteers) {
            return volunteers();
        }
        CoordinatorClient client = Coordinators.client(coordinator, dataDir);
        List<Leaderboard> boards = new ArrayList<>();
        try {
            List<String> names = new ArrayList<>();
            if (direction != null) {
                names.add(Coordinators.direction(client, direction, FollowUp.of(coordinator, dataDir)).getDirection().getName());
            } else {
                for (DirectionStatus d : client.directions().getDirectionsList()) {
                    names.add(d.getDirection().getName());
                }
            }
            for (String name : names) {
                boards.addAll(client.leaderboard(name, hardwareClass).getLeaderboardsList());
            }
            if (boards.isEmpty() && hardwareClass != null) {
                // a misspelt class (cpu-x86 for cpu-x86_64) was "no results yet", exit 0, on a busy network
                List<String> classes = new ArrayList<>();
                for (String name : names) {
                    client.leaderboard(name, null, 1).getLeaderboardsList().stream().map(Leaderboard::getHardwareClass)
                            .filter(c -> !classes.contains(c)).forEach(classes::add);
                }
                if (!classes.isEmpty()) {
                    throw Unknown.of("hardware class", "--hardware-class", hardwareClass, classes,
                            "those are the classes with results here; leave --hardware-class out for all", "");
                }
            }
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e, FollowUp.of(coordinator, dataDir));
        }
        Output out = new Output(System.out);
        if (json) {
            out.jsonList("leaderboards", boards);
            return ExitCodes.OK;
        }
        for (Leaderboard b : boards) {
            // A class is the node's word: only the board of the class the direction compares in
            // ranks what adoption reads; any other may be a class a few keys made up.
            out.line(b.getDirection() + " on " + b.getHardwareClass() + " (" + b.getMetricName() + ", "
                    + (b.getLowerIsBetter() ? "lower" : "higher") + " is better)"
                    + (b.getCompared() ? ", the class this direction compares in" : ""));
            int rank = 0;
            for (LeaderboardEntry e : b.getEntriesList()) {
                if (++rank > limit) {
                    break;
                }
                out.printf("  %2d. %-12s %10.4f  x%-2d %-12s %s%s%n", rank, CommitId.abbreviate(e.getCommit()), e.getMetric(),
                        e.getReplicas(), e.getProposer().isEmpty() ? "-" : PublicId.of(e.getProposer()).shortForm(),
                        Untrusted.line(e.getDescription(), 80), e.getFrontier() ? "  <- frontier" : "");
            }
        }
        if (boards.isEmpty()) {
            out.line("no results yet");
        }
        return ExitCodes.OK;
    }

    private int volunteers() {
        VolunteerList list = Coordinators.read(coordinator, dataDir, CoordinatorClient::volunteers);
        Output out = new Output(System.out);
        if (json) {
            JsonArray arr = new JsonArray();
            for (Volunteer v : list.getVolunteersList()) {
                JsonObject o = Output.toJson(v).getAsJsonObject();
                // the protobuf JSON's base64 `key` was replaced by hex from the start, before `key_id` was
                // added beside every key: both are now a contract, and the same value
                o.addProperty("key", PublicId.hex(v.getKey()));
                arr.add(o);
            }
            JsonObject o = new JsonObject();
            o.add("volunteers", arr);
            out.json(o);
            return ExitCodes.OK;
        }
        out.printf("%4s  %-12s %12s %6s %8s %6s %5s %8s%n", "RANK", "VOLUNTEER", "CREDIT_S", "VALID", "INVALID",
                "ERRORS", "RUN", "QUOTA");
        int rank = 0;
        for (Volunteer v : list.getVolunteersList()) {
            if (++rank > limit) {
                break;
            }
            out.printf("%4d. %-12s %12.1f %6d %8d %6d %5d %8s%n", rank, PublicId.of(v.getKey()).shortForm(),
                    v.getCreditSeconds(), v.getValid(), v.getInvalid(), v.getErrors(), v.getConsecutiveValid(),
                    v.getLeasedToday() + "/" + v.getDailyQuota());
        }
        if (list.getVolunteersCount() == 0) {
            out.line("no volunteers with results yet");
        }
        return ExitCodes.OK;
    }
}
