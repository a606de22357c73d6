package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.protocol.CommitId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an agent's first day tripped on (round 33), through the real commands: the sentence it
 * claimed with (`claim --hypothesis`) was not what `log` showed of its experiment (the commit
 * message was), and a paper published before the experiment was decided went out without a word.
 */
class FirstDayGapsTest {
    @TempDir
    Path dir;

    @Test
    void theClaimsHypothesisDescribesTheExperimentAndAnEarlyPaperIsWarnedOfWithAWaitThatRunsAsPrinted() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent");
            CliRun.openDirection(c.url(), dir.resolve("op"), agent, "d");
            // before any result the board has no hardware class yet: said, not a bare null
            JsonObject tree = CliRun.at(c.url(), agent, "tree", "--direction", "d", "--json").succeeded().json();
            assertThat(tree.get("hardware_class").isJsonNull()).isTrue();
            assertThat(tree.get("hardware_class_pending").getAsBoolean()).isTrue();
            Path ws = dir.resolve("ws");
            String hypothesis = "x near e^0.5 lowers the loss of the slow seed";
            CliRun claim = CliRun.at(c.url(), agent, "claim", "--direction", "d", "--hypothesis", hypothesis,
                    "--workspace", ws.toString(), "--json");
            assertThat(claim.code()).as(claim.out() + claim.err()).isZero();
            // a node that serves the agent's commits and evaluates nothing: the experiment stays undecided
            try (NodeDaemon node = TestNetwork.node(NodeConfig.defaults(agent, c.url()).withDirection("serve-only"))) {
                String commit = TestNetwork.commitNearTheBest(ws);  // its message: "x near e^0.5"
                CliRun submit = CliRun.of("submit", "--workspace", ws.toString(), "--json");
                assertThat(submit.code()).as(submit.out() + submit.err()).isZero();

                JsonObject log = CliRun.at(c.url(), agent, "log", "--direction", "d", "--json").succeeded().json();
                List<String> shown = new ArrayList<>();
                for (JsonElement e : log.getAsJsonArray("experiments")) {
                    JsonObject x = e.getAsJsonObject();
                    if (x.get("commit").getAsString().equals(commit)) {
                        shown.add(x.getAsJsonObject("hypothesis").get("text").getAsString());
                    }
                }
                assertThat(shown).as("what the others read of it").containsExactly(hypothesis);

                Path paper = Files.writeString(dir.resolve("early.md"), "# Early\n\nWritten before the outcome.\n");
                CliRun early = CliRun.at(c.url(), agent, "publish", "--paper", paper.toString(), "--commit", commit, "--json");
                assertThat(early.code()).as(early.out() + early.err()).isZero();
                assertThat(early.json().getAsJsonArray("undecided")).hasSize(1);
                assertThat(early.json().getAsJsonArray("undecided").get(0).getAsString()).isEqualTo(commit);
                assertThat(early.err()).contains("warning: experiment " + CommitId.abbreviate(commit) + " is not decided yet");
                // the wait it offers runs as printed, from here, naming the agent's data directory and coordinator
                String wait = CliRun.firstCommand(early.err());
                List<String> words = new ArrayList<>(CliRun.shellWords(wait));
                words.addAll(List.of("--timeout", "0", "--json"));
                CliRun waited = CliRun.of(words.toArray(String[]::new));
                assertThat(waited.code()).as(wait + ": " + waited.out() + waited.err()).isEqualTo(ExitCodes.TIMED_OUT);
                assertThat(waited.json().get("commit").getAsString()).isEqualTo(commit);
            }
        }
    }
}
