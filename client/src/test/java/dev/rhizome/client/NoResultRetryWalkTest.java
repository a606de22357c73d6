package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.protocol.CommitId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An experiment whose every run crashed was decided with no OK result and offered `rhizome
 * publish`: a paper about a measurement that never happened. The walk as an agent makes it, against
 * a real coordinator and real nodes running the job in their sandbox: the crash is offered the claim
 * from its parent that starts the fix (retry_reason, retry_command), and that command runs as printed.
 */
class NoResultRetryWalkTest {
    @TempDir
    Path dir;

    @Test
    void aCommitWhoseRunsCrashIsOfferedTheClaimThatStartsTheFixAndItRunsAsPrinted() throws Exception {
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        // a generous job timeout: compiling Train.java alone can take many seconds at load 30
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(1, 180));
                NodeDaemon runner = TestNetwork.node(NodeConfig.defaults(volunteer, network.url()));
                NodeDaemon agentsNode = TestNetwork.node(NodeConfig.defaults(agent, network.url()))) {
            String url = network.url();
            Path ws = dir.resolve("ws");
            JsonObject claim = CliRun.at(url, agent, "claim", "--direction", "d", "--workspace", ws.toString(), "--json")
                    .succeeded("claim").json();
            String parent = claim.getAsJsonObject("unit").get("commit").getAsString();
            // a value the job cannot parse: every run of it crashes
            String crashing = commit(ws, "x=oops\n", "x as a word");

            JsonObject outcome = CliRun.of("submit", "--workspace", ws.toString(), "--wait", "--timeout", "600", "--json")
                    .succeeded("submit --wait").json().getAsJsonObject("outcome");
            assertThat(outcome.get("decided").getAsBoolean()).as(outcome.toString()).isTrue();
            assertThat(outcome.get("metric").isJsonNull()).as(outcome.toString()).isTrue();
            assertThat(outcome.getAsJsonArray("result_statuses").asList()).as(outcome.toString())
                    .allMatch(s -> s.getAsString().equals("CRASH"));
            assertThat(outcome.get("publish_command").isJsonNull()).as("nothing was measured to write about").isTrue();
            assertThat(outcome.get("retry_reason").getAsString()).isEqualTo("crashed");
            assertThat(outcome.get("retry_command").getAsString()).startsWith("rhizome claim --direction d --from "
                    + CommitId.abbreviate(parent) + " --workspace ");

            // `wait` run in the failed workspace, as a shell runs it: the new workspace goes beside it
            JsonObject waited = CliRun.child(ws, "wait", "--commit", crashing, "--data-dir", agent.toString(),
                    "--coordinator", url, "--json").succeeded("wait").json();
            String retry = "rhizome claim --direction d --from " + CommitId.abbreviate(parent) + " --workspace "
                    + Shell.quote(dir.toRealPath().resolve("fix-" + CommitId.abbreviate(crashing)))
                    + " --data-dir " + Shell.quote(agent) + " --coordinator " + Shell.quote(url);
            assertThat(waited.get("retry_command").getAsString()).isEqualTo(retry);
            assertThat(waited.get("retry_reason").getAsString()).isEqualTo("crashed");
            assertThat(waited.get("publish_command").isJsonNull()).isTrue();
            // three CRASH results against no OK one throttle the proposer for ProposerThrottle.COOL_DOWN
            // after the last: the retry says when its submit goes through
            long retryAfter = waited.get("retry_after_s").getAsLong();
            assertThat(retryAfter).as(waited.toString()).isBetween(1L, 600L);
            assertThat(waited.get("retry_not_before_ms").getAsLong()).isGreaterThan(System.currentTimeMillis());
            CliRun text = CliRun.at(url, agent, "wait", "--commit", crashing).succeeded("wait");
            assertThat(text.out()).contains("s more (until ").contains("the claim runs now, its submit goes through after that");
            assertThat(text.out()).contains("no OK result (", "CRASH")
                    .contains("no OK result, so nothing to publish: its runs crashed")
                    .contains("rhizome results --commit " + CommitId.abbreviate(crashing))
                    .contains("rhizome claim --direction d --from " + CommitId.abbreviate(parent))
                    .doesNotContain("rhizome publish");
            // another agent reading the same crash: the throttle is the proposer's, not the reader's
            Path other = dir.resolve("other");
            JsonObject theirs = CliRun.at(url, other, "wait", "--commit", crashing, "--json").succeeded("wait").json();
            assertThat(theirs.get("retry_reason").getAsString()).isEqualTo("crashed");
            assertThat(theirs.get("retry_after_s").getAsLong()).as(theirs.toString()).isZero();
            assertThat(CliRun.at(url, other, "wait", "--commit", crashing).succeeded("wait").out())
                    .contains("no OK result, so nothing to publish").doesNotContain("s more (until ");

            // the printed command, word for word as a shell reads it: a new claim from the parent
            List<String> words = new ArrayList<>(CliRun.shellWords(retry.replaceFirst("^rhizome ", "")));
            words.add("--json");
            JsonObject again = CliRun.of(words.toArray(String[]::new)).succeeded(retry).json();
            assertThat(again.getAsJsonObject("unit").get("commit").getAsString()).isEqualTo(parent);
            Path fixWs = Path.of(again.get("workspace").getAsString());
            assertThat(fixWs).isEqualTo(dir.toRealPath().resolve("fix-" + CommitId.abbreviate(crashing)));
            assertThat(Files.readString(fixWs.resolve("config.properties"))).as("the parent's, not the crash").isEqualTo("x=1\n");
            // the fix submitted before that time is refused, as the retry said, and the refusal's hint runs as printed
            commit(fixWs, "x=2\n", "x as a number");
            JsonObject refused = CliRun.of("submit", "--workspace", fixWs.toString(), "--json")
                    .failure(ExitCodes.REFUSED, "forbidden");
            assertThat(refused.get("message").getAsString()).contains("proposer throttled").contains(" s from now)");
            assertThat(refused.get("retry_after_s").getAsLong()).as("the wait the retry said, less the time gone")
                    .isBetween(1L, retryAfter);
            String hint = refused.get("hint").getAsString();
            List<String> logWords = new ArrayList<>(CliRun.shellWords(CliRun.firstCommand(hint)));
            JsonObject log = CliRun.of(logWords.toArray(String[]::new)).succeeded(hint).json();
            assertThat(log.getAsJsonArray("experiments").asList()).as("the log the hint names lists the crash as mine")
                    .anyMatch(e -> e.getAsJsonObject().get("commit").getAsString().equals(crashing)
                            && e.getAsJsonObject().get("mine").getAsBoolean());
        }
    }

    private static String commit(Path ws, String config, String message) throws Exception {
        Files.writeString(ws.resolve("config.properties"), config);
        try (Git git = Git.open(ws.toFile())) {
            git.add().addFilepattern("config.properties").call();
            return git.commit().setMessage(message).setAuthor("agent", "agent@example").setCommitter("agent", "agent@example")
                    .setSign(false).call().getName();
        }
    }
}
