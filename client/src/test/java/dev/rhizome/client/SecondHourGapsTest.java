package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new user tripped on once a node ran beside it (round 32, the second half): commands the
 * tool printed for a claim (`claim`'s "give it back", the brief's "extend it with", `submit`'s
 * "follow it with") that named only the unit or commit, so that, copied into a shell anywhere but
 * the workspace, they asked the default data directory and coordinator and were refused.
 */
class SecondHourGapsTest {
    @TempDir
    Path dir;

    @Test
    void printedUnclaimRenewAndWaitRunAsPrintedFromAnyDirectory() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent");
            CliRun.openDirection(c.url(), dir.resolve("op"), agent, "d");

            // claim's text: the "give it back" command gives the unit back as printed
            CliRun first = CliRun.at(c.url(), agent, "claim", "--direction", "d", "--workspace", dir.resolve("ws1").toString());
            assertThat(first.code()).as(first.out() + first.err()).isZero();
            String giveBack = first.out().lines().filter(l -> l.startsWith("workspace: ")).findFirst().orElseThrow();
            String unclaim = CliRun.firstCommand(giveBack.substring(giveBack.indexOf("give it back")));
            CliRun given = CliRun.of(words(unclaim, "--json"));
            assertThat(given.code()).as(unclaim + ": " + given.out() + given.err()).isZero();

            // the brief's "extend it with" renews as printed
            Path ws = dir.resolve("ws");
            CliRun claim = CliRun.at(c.url(), agent, "claim", "--direction", "d", "--workspace", ws.toString(), "--json");
            assertThat(claim.code()).as(claim.out() + claim.err()).isZero();
            String unitLine = Files.readString(Path.of(claim.json().get("brief").getAsString())).lines()
                    .filter(l -> l.startsWith("Unit `")).findFirst().orElseThrow();
            String renew = CliRun.firstCommand(unitLine.substring(unitLine.indexOf("extend it with")));
            CliRun renewed = CliRun.of(words(renew, "--json"));
            assertThat(renewed.code()).as(renew + ": " + renewed.out() + renewed.err()).isZero();

            // submit's wait_command follows the experiment as printed (decided or not in a second)
            try (NodeDaemon node = TestNetwork.node(NodeConfig.defaults(agent, c.url()))) {
                String commit = TestNetwork.commitNearTheBest(ws);
                CliRun submit = CliRun.of("submit", "--workspace", ws.toString(), "--json");
                assertThat(submit.code()).as(submit.out() + submit.err()).isZero();
                String wait = submit.json().get("wait_command").getAsString();
                assertThat(CliRun.flagValue(wait, "--commit")).isEqualTo(commit);
                CliRun waited = CliRun.of(words(wait.replaceFirst("^rhizome ", ""), "--timeout", "1", "--json"));
                assertThat(waited.code()).as(wait + ": " + waited.out() + waited.err())
                        .isIn(ExitCodes.OK, ExitCodes.TIMED_OUT);
                assertThat(waited.json().get("commit").getAsString()).isEqualTo(commit);
            }
        }
    }

    private static String[] words(String command, String... more) throws Exception {
        List<String> all = new java.util.ArrayList<>(CliRun.shellWords(command));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
