package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `submit --wait` said nothing of the submit itself until the wait ended (ten minutes in round 19's
 * walk, up to an hour by default): its first line was "waiting for e16e6e68e0", an abbreviation, and
 * the whole commit and paper id came only with the answer. Now a line on standard error says at once
 * that the experiment is in, with its whole commit and how to wait again.
 */
class SubmitWaitLineTest {
    @TempDir
    Path dir;

    @Test
    void submitWaitSaysAtOnceThatTheExperimentIsInAndHowToWaitAgain() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent");
            CliRun.openDirection(c.url(), dir.resolve("op"), agent, "d");
            try (NodeDaemon serving = TestNetwork.node(NodeConfig.defaults(agent, c.url()))) {
                Path ws = dir.resolve("ws");
                String commit = TestNetwork.claimAndCommit(c.url(), agent, ws);
                // no time to wait: the answer is the timed-out one (exit 6), the line came before it
                CliRun submit = CliRun.of("submit", "--workspace", ws.toString(), "--wait", "--timeout", "0", "--json");
                assertThat(submit.code()).as(submit.out() + submit.err()).isEqualTo(ExitCodes.TIMED_OUT);
                JsonObject answer = submit.json();
                assertThat(answer.get("commit").getAsString()).isEqualTo(commit);
                assertThat(submit.err()).contains("rhizome: submitted " + commit + " on d; waiting for the network's decision")
                        .contains("`rhizome wait --commit " + commit + " --data-dir " + Shell.quote(agent)
                                + " --coordinator " + Shell.quote(c.url()) + "` waits again");
                assertThat(submit.err().indexOf("submitted " + commit))
                        .as("said before the first progress line").isLessThan(submit.err().indexOf("waiting for "
                                + commit.substring(0, 10)));
            }
        }
    }
}
