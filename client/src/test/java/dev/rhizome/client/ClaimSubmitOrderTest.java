package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's walk through claim and submit (user30), on a network of one direction whose one
 * node serves and runs nothing: an agent's own earlier hypothesis is marked its own in `similar`;
 * a dirty workspace is said before the missing node; a hint about an unknown commit names the
 * only direction; and a claim made while an earlier one without a workspace is held says so, with
 * the command that gives that one back.
 */
class ClaimSubmitOrderTest {
    private static final String HYPOTHESIS = "raise x towards e^0.5 to lower val_bpb";

    @TempDir
    Path dir;

    @Test
    void claimAndSubmitSayWhatIsTheAgentsOwnAndWhatToFixFirst() throws Exception {
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3, 300));
                NodeDaemon seeds = TestNetwork.node(NodeConfig.defaults(volunteer, network.url()).withDirection("serve-only"))) {
            String url = network.url();
            Path ws = dir.resolve("ws");
            CliRun first = CliRun.at(url, agent, "claim", "--direction", "d", "--hypothesis", HYPOTHESIS,
                    "--workspace", ws.toString(), "--json");
            assertThat(first.code()).as(first.err()).isZero();
            String firstUnit = first.json().getAsJsonObject("unit").get("id").getAsString();

            // uncommitted changes are what to fix first, not the node (no node serves the agent's data directory)
            Files.writeString(ws.resolve("config.properties"), "x=1.6487\n");
            CliRun.of("submit", "--workspace", ws.toString(), "--json")
                    .failure(ExitCodes.USAGE, "dirty_workspace", "config.properties");
            TestNetwork.commitNearTheBest(ws);
            CliRun.of("submit", "--workspace", ws.toString(), "--json").failure(ExitCodes.FAILED, "no_node");

            // the agent's own earlier hypothesis, listed at similarity 1.0, is marked its own
            CliRun second = CliRun.at(url, agent, "claim", "--direction", "d", "--hypothesis", HYPOTHESIS, "--json");
            assertThat(second.code()).as(second.err()).isZero();
            JsonObject own = hypothesisEntry(second.json());
            assertThat(own.get("mine").getAsBoolean()).isTrue();
            assertThat(own.get("similarity").getAsDouble()).isEqualTo(1.0);
            assertThat(Files.readString(Path.of(second.json().get("brief").getAsString()))).contains("(yours)");
            // a claim with a workspace is not one held without one
            assertThat(second.json().getAsJsonArray("held_without_workspace")).isEmpty();
            String secondUnit = second.json().getAsJsonObject("unit").get("id").getAsString();

            // another agent's claim sees the same hypothesis as someone else's
            CliRun other = CliRun.at(url, dir.resolve("other"), "claim", "--direction", "d", "--hypothesis", HYPOTHESIS,
                    "--json");
            assertThat(other.code()).as(other.err()).isZero();
            assertThat(other.json().getAsJsonArray("similar")).isNotEmpty()
                    .allSatisfy(s -> assertThat(s.getAsJsonObject().get("mine").getAsBoolean()).isFalse());
            assertThat(CliRun.at(url, dir.resolve("other"), "unclaim", "--unit",
                    other.json().getAsJsonObject("unit").get("id").getAsString()).code()).isZero();

            // a third claim while the second (no workspace) is held names it, with the way to give it back
            CliRun third = CliRun.at(url, agent, "claim", "--direction", "d", "--json");
            assertThat(third.code()).as(third.err()).isZero();
            JsonArray held = third.json().getAsJsonArray("held_without_workspace");
            assertThat(held).hasSize(1);
            JsonObject bare = held.get(0).getAsJsonObject();
            assertThat(bare.get("unit").getAsString()).isEqualTo(secondUnit).isNotEqualTo(firstUnit);
            assertThat(third.err()).contains("still holds unit " + secondUnit);
            List<String> unclaim = CliRun.shellWords(bare.get("unclaim_command").getAsString());
            assertThat(unclaim.subList(0, 2)).containsExactly("rhizome", "unclaim");
            CliRun givenBack = CliRun.of(unclaim.subList(1, unclaim.size()).toArray(String[]::new));
            assertThat(givenBack.code()).as(givenBack.out() + givenBack.err()).isZero();
            String thirdUnit = third.json().getAsJsonObject("unit").get("id").getAsString();
            CliRun text = CliRun.at(url, agent, "claim", "--direction", "d");
            assertThat(text.code()).as(text.err()).isZero();
            assertThat(text.out()).contains("still holds unit " + thirdUnit).doesNotContain(secondUnit);

            // an unknown commit's hint names the one direction there is, not `--direction D`
            JsonObject unknown = CliRun.at(url, agent, "results", "--commit", "ab".repeat(20), "--json")
                    .failure(ExitCodes.USAGE, "unknown_commit");
            assertThat(unknown.get("hint").getAsString()).contains("rhizome tree --direction d --data-dir " + Shell.quote(agent)
                    + " --coordinator " + url + "`")
                    .doesNotContain("--direction D");
        }
    }

    private static JsonObject hypothesisEntry(JsonObject claim) {
        for (JsonElement s : claim.getAsJsonArray("similar")) {
            if (s.getAsJsonObject().get("kind").getAsString().equals("hypothesis")) {
                return s.getAsJsonObject();
            }
        }
        throw new AssertionError("no hypothesis among " + claim.getAsJsonArray("similar"));
    }
}
