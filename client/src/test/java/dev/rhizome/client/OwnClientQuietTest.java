package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.support.LogCapture;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our own client never makes the coordinator refuse or warn: every command that talks to the
 * coordinator (an agent's reads and writes, `claim` to `publish`, `export`), and two nodes doing
 * their work (announce, claim, run, report), each well formed, against a real coordinator; the
 * coordinator logs not one WARN or ERROR and not one refusal at any level. An operator reading the
 * log of a healthy network saw client errors where there were none (round 30: `audit export` asked
 * for a direction named "-"); a refusal our own client causes is a client bug, or a route's.
 */
class OwnClientQuietTest {
    @TempDir
    Path dir;

    @Test
    void wellFormedCommandsAndNodesRaiseNoCoordinatorWarningOrRefusal() throws Exception {
        List<String> ran = new ArrayList<>();
        List<String> said;
        try (LogCapture log = LogCapture.everyLevel()) {
            Path volunteer = dir.resolve("volunteer");
            Path agent = dir.resolve("agent");
            try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3, 300));
                    NodeDaemon runner = TestNetwork.node(NodeConfig.defaults(volunteer, network.url()));
                    NodeDaemon agentsNode = TestNetwork.node(NodeConfig.defaults(agent, network.url()))) {
                String url = network.url();
                Path ws = dir.resolve("ws");
                for (String[] read : List.of(new String[] {"status"}, new String[] {"direction", "list"},
                        new String[] {"seed", "list"}, new String[] {"brief", "--direction", "d"},
                        new String[] {"log", "--direction", "d"}, new String[] {"papers", "--direction", "d"},
                        new String[] {"leaderboard", "--direction", "d"}, new String[] {"tree", "--direction", "d"},
                        new String[] {"results", "--direction", "d"})) {
                    run(ran, url, agent, read);
                }
                run(ran, url, agent, "claim", "--direction", "d", "--workspace", ws.toString(),
                        "--hypothesis", "x near e^0.5 lowers val_bpb");
                run(ran, null, null, "renew", "--workspace", ws.toString());
                String commit = TestNetwork.commitNearTheBest(ws);
                Path paper = dir.resolve("paper.md");
                Files.writeString(paper, "# Raising x helps\n\nThe metric is best near x = e^0.5.\n");
                run(ran, null, null, "submit", "--workspace", ws.toString(), "--paper", paper.toString());
                // the nodes' own work: a runner claims the experiment's evaluation, runs it and reports
                await().atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofSeconds(2)).until(() -> CliRun.at(url, agent,
                        "results", "--commit", commit, "--json").succeeded().json().getAsJsonArray("results").size() > 0);
                run(ran, url, agent, "results", "--commit", commit);
                CliRun waited = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0", "--json");
                assertThat(waited.code()).as("wait: decided (0) or not yet (6): " + waited.out() + waited.err()).isIn(0, 6);
                ran.add("wait");
                Path second = dir.resolve("second.md");
                Files.writeString(second, "# A second look at x\n\nStill best near e^0.5.\n");
                run(ran, url, agent, "publish", "--paper", second.toString(), "--commit", commit, "--direction", "d");
                for (String[] read : List.of(new String[] {"log", "--direction", "d"}, new String[] {"log", "--direction", "d", "--new"},
                        new String[] {"papers", "--direction", "d", "--new"}, new String[] {"brief", "--direction", "d"},
                        new String[] {"tree", "--direction", "d"}, new String[] {"leaderboard", "--direction", "d"})) {
                    run(ran, url, agent, read);
                }
                Path ws2 = dir.resolve("ws2");
                run(ran, url, agent, "claim", "--direction", "d", "--workspace", ws2.toString());
                run(ran, null, null, "unclaim", "--workspace", ws2.toString());
                run(ran, url, null, "export", "--out", dir.resolve("audit.jsonl").toString());
                // what it says of its own configuration (started without --operator) is no client's doing
                said = log.complaints("no operators configured");
            }
        }
        assertThat(ran).as("the commands run").hasSizeGreaterThan(20);
        assertThat(said).as("what the coordinator said of well-formed commands (%s) and nodes", ran).isEmpty();
    }

    /** Runs `rhizome ARGS --json` (with --coordinator and --data-dir when given), which must succeed. */
    private static void run(List<String> ran, String url, Path dataDir, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--json");
        if (url != null) {
            all.addAll(List.of("--coordinator", url));
        }
        if (dataDir != null) {
            all.addAll(List.of("--data-dir", dataDir.toString()));
        }
        CliRun.of(all.toArray(String[]::new)).succeeded(all.toArray(String[]::new));
        ran.add(String.join(" ", args));
    }
}
