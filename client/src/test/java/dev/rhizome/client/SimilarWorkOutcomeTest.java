package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.protocol.CommitId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent whose hypothesis is like an earlier one sees, in `claim`'s answer and brief, the
 * experiment that earlier claim's unit registered and what came of it (as `wait` says it), not
 * only that someone tried: so it builds on the result, or spends its budget on something else.
 */
class SimilarWorkOutcomeTest {
    @TempDir
    Path dir;

    private static CliRun ok(String... args) {
        CliRun run = CliRun.of(args);
        assertThat(run.code()).as("exit code of rhizome %s (output %s%s)", String.join(" ", args), run.out(), run.err()).isZero();
        return run;
    }

    @Test
    void aClaimLikeAnEarlierDecidedOneSeesThatExperimentsCommitOutcomeAndPaper() throws Exception {
        Path volunteer = dir.resolve("volunteer");
        Path first = dir.resolve("first");
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3, 300))) {
            String url = network.url();
            try (NodeDaemon runner = TestNetwork.node(NodeConfig.defaults(volunteer, url));
                    NodeDaemon firstsNode = TestNetwork.node(NodeConfig.defaults(first, url))) {
                Path ws = dir.resolve("ws");
                ok("claim", "--data-dir", first.toString(), "--coordinator", url, "--direction", "d",
                        "--hypothesis", "raise x towards e^0.5 to lower val_bpb", "--workspace", ws.toString(), "--json");
                TestNetwork.commitNearTheBest(ws);
                Path paper = dir.resolve("paper.md");
                Files.writeString(paper, "# Raising x helps\n\nThe metric is best near x = e^0.5.\n");
                String commit = ok("submit", "--workspace", ws.toString(), "--paper", paper.toString(), "--json")
                        .last().get("commit").getAsString();
                // decided: every evaluation it needs came back (a loaded machine: minutes)
                JsonObject waited = ok("wait", "--data-dir", first.toString(), "--coordinator", url, "--commit", commit,
                        "--timeout", "900", "--json").last();
                assertThat(waited.get("decided").getAsBoolean()).isTrue();

                // Another agent, another data directory, the same idea in other words.
                Path second = dir.resolve("second");
                JsonObject claim = ok("claim", "--data-dir", second.toString(), "--coordinator", url, "--direction", "d",
                        "--hypothesis", "Raise x towards e^0.5, to lower val_bpb.", "--json").last();
                JsonObject similar = null;
                for (JsonElement s : claim.getAsJsonArray("similar")) {
                    if (s.getAsJsonObject().get("kind").getAsString().equals("hypothesis")) {
                        similar = s.getAsJsonObject();
                    }
                }
                assertThat(similar).as("the earlier hypothesis among %s", claim.getAsJsonArray("similar")).isNotNull();
                assertThat(similar.get("commit").getAsString()).isEqualTo(commit);
                assertThat(similar.getAsJsonArray("commits")).hasSize(1);
                JsonObject experiment = similar.getAsJsonArray("experiments").get(0).getAsJsonObject();
                assertThat(experiment.get("commit").getAsString()).isEqualTo(commit);
                assertThat(experiment.get("unread").isJsonNull()).isTrue();
                JsonObject outcome = experiment.getAsJsonObject("outcome");
                // the outcome as `wait --json` gives it, key for key (the commit was decided: it stays so)
                for (String key : new String[] {"commit", "decided", "valid", "metric", "replicas", "delta_frontier",
                        "adopted", "papers"}) {
                    assertThat(outcome.get(key)).as(key).isEqualTo(waited.get(key));
                }
                // all but wait's own next steps (why its wait is queued, how to publish): they are about that wait
                Set<String> reportKeys = new HashSet<>(waited.keySet());
                reportKeys.removeAll(Set.of("queued_reason", "waiting_for", "open_to_any_ms", "publish_command", "retry_reason",
                        "retry_command", "retry_after_s", "retry_not_before_ms"));
                assertThat(outcome.keySet()).containsAll(reportKeys);
                assertThat(experiment.getAsJsonArray("paper_titles").get(0).getAsString()).isEqualTo("Raising x helps");
                assertThat(similar.get("experiments_left_out").getAsInt()).isZero();

                // the brief the claim wrote, and a text claim, say the same in words
                String brief = Files.readString(Path.of(claim.get("brief").getAsString()));
                assertThat(brief).contains("What came of it:", CommitId.abbreviate(commit) + ": decided", "Raising x helps");
                CliRun text = ok("claim", "--data-dir", dir.resolve("third").toString(), "--coordinator", url,
                        "--direction", "d", "--hypothesis", "raise x towards e^0.5 to lower val_bpb");
                assertThat(text.out()).contains("look like yours (", "1 decided",
                        "- " + CommitId.abbreviate(commit) + ": decided", "Raising x helps");
            }
        }
    }
}
