package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent sharing a node's data directory signs with the node's key, and `log` called the node's
 * built-in explorer's experiments its own (`mine`, "(you)"), as did `log --mine` and the brief's
 * "Your pending experiments" (user24, a node with --explore and an agent on one directory). The
 * explorer's experiments now say so, signed, and none of these counts them as the agent's.
 */
class ExplorerNotMineTest {
    @TempDir
    Path dir;

    @Test
    void theNodesExplorersExperimentsAreNotTheAgentsThoughOneKeySignsBoth() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = c.url();
            Path shared = dir.resolve("shared");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "tiny", "d");
            CoordinatorClient sameKey = new CoordinatorClient(url, IdentityStore.loadOrCreate(shared));
            String explorers = register(sameKey, seed, true, "the explorer's guess");
            String agents = register(sameKey, seed, false, "the agent's idea");

            JsonObject log = CliRun.at(url, shared, "log", "--direction", "d", "--json").succeeded().json();
            Map<String, Boolean> mine = new TreeMap<>();
            for (JsonElement e : log.getAsJsonArray("experiments")) {
                mine.put(e.getAsJsonObject().get("commit").getAsString(), e.getAsJsonObject().get("mine").getAsBoolean());
            }
            assertThat(mine).containsEntry(agents, true).containsEntry(explorers, false);

            JsonObject onlyMine = CliRun.at(url, shared, "log", "--direction", "d", "--mine", "--json").succeeded().json();
            assertThat(commits(onlyMine, "experiments")).containsExactly(agents);

            String text = CliRun.at(url, shared, "log", "--direction", "d").succeeded().out();
            assertThat(text).contains("(your node's built-in explorer)").contains("(you)");

            JsonObject brief = CliRun.at(url, shared, "brief", "--direction", "d", "--json").succeeded().json();
            assertThat(commits(brief, "pending")).as("your pending experiments").containsExactly(agents);
        }
    }

    private static String register(CoordinatorClient proposer, Seed seed, boolean builtinExplorer, String description)
            throws Exception {
        String commit = OpenDirections.commit();
        proposer.registerExperiment(Experiment.newBuilder().setSeed(seed.getName()).setDirection("d").setCommit(commit)
                .setParent(seed.getCommit()).setProposer(proposer.identity().publicId().toByteString())
                .setDescription(description).setCreatedMs(System.currentTimeMillis())
                .setBuiltinExplorer(builtinExplorer).build());
        return commit;
    }

    private static List<String> commits(JsonObject answer, String key) {
        List<String> commits = new ArrayList<>();
        answer.getAsJsonArray(key).forEach(e -> commits.add(e.getAsJsonObject().get("commit").getAsString()));
        return commits;
    }
}
