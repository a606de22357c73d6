package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent's whole loop through the CLI: papers, claim with a workspace, edit, commit, submit with a paper. */
class AgentWorkflowTest {
    @TempDir
    Path dir;

    private static JsonObject cli(String... args) {
        CliRun run = CliRun.of(args);
        assertThat(run.code()).as("exit code of rhizome %s (output %s%s)", String.join(" ", args), run.out(), run.err()).isZero();
        return run.last();
    }

    @Test
    void agentClaimsEditsSubmitsAndItsCommitIsEvaluatedByAPeerAndAdopted() throws Exception {
        // a timeout a loaded test machine's `java Train.java` meets (at 30 s, load 20 on 2 cores gave TIMEOUT)
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3, 300))) {
            String url = network.url();
            try (NodeDaemon runner = TestNetwork.node(NodeConfig.defaults(volunteer, url));
                    NodeDaemon agentsNode = TestNetwork.node(NodeConfig.defaults(agent, url))) {
                assertThat(cli("papers", "--data-dir", agent.toString(), "--coordinator", url, "--direction", "d", "--json")
                        .getAsJsonArray("papers")).isEmpty();

                Path ws = dir.resolve("ws");
                JsonObject claim = cli("claim", "--data-dir", agent.toString(), "--coordinator", url,
                        "--direction", "d", "--workspace", ws.toString(), "--json");
                String unit = claim.getAsJsonObject("unit").get("id").getAsString();
                assertThat(claim.getAsJsonObject("unit").get("kind").getAsString()).isEqualTo("EXPLORE");
                assertThat(ws.resolve("Train.java")).exists();

                TestNetwork.commitNearTheBest(ws);
                Path paper = dir.resolve("paper.md");
                Files.writeString(paper, "# Raising x helps\n\nThe metric is best near x = e^0.5.\n");

                // In the workspace `claim` made, renew and submit need no flags: the claim is recorded
                // there with its data directory (the agent's key) and its coordinator.
                JsonObject renewed = cli("renew", "--workspace", ws.toString(), "--json");
                assertThat(renewed.get("unit").getAsString()).isEqualTo(unit);
                JsonObject submitted = cli("submit", "--workspace", ws.toString(), "--paper", paper.toString(), "--json");
                String commit = submitted.get("commit").getAsString();

                await().atMost(Duration.ofSeconds(300)).until(() -> cli("results", "--data-dir", agent.toString(),
                        "--coordinator", url, "--commit", commit, "--json").getAsJsonArray("results").size() > 0);
                JsonObject results = cli("results", "--data-dir", agent.toString(), "--coordinator", url,
                        "--commit", commit, "--json");
                assertThat(results.get("invalid_signatures").getAsInt()).isZero();
                JsonObject result = results.getAsJsonArray("results").get(0).getAsJsonObject();
                assertThat(result.get("status").getAsString()).isEqualTo("OK");
                assertThat(result.get("metric").getAsDouble()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.001));

                // --limit, as papers and leaderboard take it: the newest N, read at the coordinator and
                // listed oldest first; valid_signatures counts what was read (`counted`: newest). Results
                // only ever append, so the newest read between two whole listings is at or after the
                // first listing's last place in the second.
                JsonArray before = cli("results", "--data-dir", agent.toString(), "--coordinator", url,
                        "--direction", "d", "--json").getAsJsonArray("results");
                JsonObject newest = cli("results", "--data-dir", agent.toString(), "--coordinator", url,
                        "--direction", "d", "--limit", "1", "--json");
                JsonArray all = cli("results", "--data-dir", agent.toString(), "--coordinator", url,
                        "--direction", "d", "--json").getAsJsonArray("results");
                assertThat(newest.get("counted").getAsString()).isEqualTo("newest");
                assertThat(newest.getAsJsonArray("results")).hasSize(1);
                assertThat(newest.get("valid_signatures").getAsInt()).isEqualTo(1);
                int at = -1;
                for (int i = 0; i < all.size(); i++) {
                    if (all.get(i).equals(newest.getAsJsonArray("results").get(0))) {
                        at = i;
                    }
                }
                assertThat(at).as("the newest result's place in %s", all).isGreaterThanOrEqualTo(before.size() - 1);
                CliRun text = CliRun.of("results", "--data-dir", agent.toString(), "--coordinator", url,
                        "--direction", "d", "--limit", "1");
                assertThat(text.code()).as(text.err()).isZero();
                assertThat(text.out()).contains("1 results with valid signatures, 0 invalid among the newest 1");
                assertThat(CliRun.of("results", "--data-dir", agent.toString(), "--coordinator", url, "--limit", "0",
                        "--json").failure(ExitCodes.USAGE, "usage").get("option").getAsString()).isEqualTo("--limit");

                JsonObject papers = cli("papers", "--data-dir", agent.toString(), "--coordinator", url,
                        "--direction", "d", "--json");
                JsonObject listed = papers.getAsJsonArray("papers").get(0).getAsJsonObject();
                JsonObject title = listed.getAsJsonObject("title");
                assertThat(title.get("text").getAsString()).isEqualTo("Raising x helps");
                assertThat(title.get("untrusted").getAsBoolean()).isTrue();
                // The id papers lists is the one submit printed and the one --cites takes.
                assertThat(listed.get("id").getAsString()).isEqualTo(submitted.get("paper_id").getAsString());

                // Adoption waits for the candidate and the base at every adoption seed (3 by default).
                await().atMost(Duration.ofSeconds(600)).until(() -> isFrontier(cli("leaderboard", "--data-dir",
                        agent.toString(), "--coordinator", url, "--direction", "d", "--json"), commit));
                JsonObject board = cli("leaderboard", "--data-dir", agent.toString(), "--coordinator", url,
                        "--direction", "d", "--json").getAsJsonArray("leaderboards").get(0).getAsJsonObject();
                JsonObject top = board.getAsJsonArray("entries").get(0).getAsJsonObject();
                assertThat(top.get("commit").getAsString()).isEqualTo(commit);
                assertThat(top.get("frontier").getAsBoolean()).isTrue();

                // a misspelt hardware class is named, with the classes that have results, not "no results yet"
                String hardware = board.get("hardware_class").getAsString();
                JsonObject typo = CliRun.of("leaderboard", "--data-dir", agent.toString(), "--coordinator", url,
                        "--hardware-class", hardware + "x", "--json")
                        .failure(ExitCodes.USAGE, "unknown_hardware_class", hardware + "x");
                assertThat(typo.get("option").getAsString()).isEqualTo("--hardware-class");
                assertThat(typo.get("message").getAsString()).contains(hardware);
                assertThat(typo.get("hint").getAsString()).startsWith("did you mean " + hardware);
            }
        }
    }

    private static boolean isFrontier(JsonObject leaderboards, String commit) {
        for (var board : leaderboards.getAsJsonArray("leaderboards")) {
            for (var entry : board.getAsJsonObject().getAsJsonArray("entries")) {
                JsonObject e = entry.getAsJsonObject();
                if (e.get("commit").getAsString().equals(commit) && e.has("frontier") && e.get("frontier").getAsBoolean()) {
                    return true;
                }
            }
        }
        return false;
    }
}
