package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.support.PrometheusText;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import dev.rhizome.protocol.support.NonEphemeralPort;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A `rhizome node` SIGSTOPped while it serves a bundle to a fetching node (held by the pause point
 * {@code bundle-serving} once the bundle is built, its first byte not sent, and stopped there), a
 * real process on each side. The fetcher finishes from another holder that comes up meanwhile,
 * and bans nobody: the paused holder, silent on everything, is dropped and rested, not banned
 * (round 19's rule, checked here with real processes). Resumed (SIGCONT), the paused node serves
 * again: with every other holder gone, an agent's claim checks the commit out from it.
 */
class PausedServeTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void aHolderPausedMidServeIsLeftForAnotherUnbannedAndServesOnceResumed() throws Exception {
        SortedMap<String, byte[]> files = TestNetwork.slowSeed(3, 300);
        Path paused = dir.resolve("paused");
        Path fetcher = dir.resolve("fetcher");
        ByteString pausedKey = IdentityStore.loadOrCreate(paused).publicId().toByteString();
        metricsPort = freePort();
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed = TestNetwork.publishWithDirection(operator, paused, files, "d");
            String commit = seed.getCommit();
            // the holders run no job: the evaluations are the fetcher's, its work asks for the commit
            List<String> holderCommand = new ArrayList<>(node(paused, coordinator.url()));
            holderCommand.set(holderCommand.size() - 1, "0");
            Process holder = RealProcess.start(holderCommand, dir.resolve("paused.log"),
                    RealProcess.crashPoint(CrashPoints.BUNDLE_SERVING));
            Process fetching = null;
            NodeDaemon other = null;
            try {
                await().atMost(Duration.ofMinutes(2)).until(() -> !holder.isAlive() || operator.peers(commit)
                        .getPeersList().stream().anyMatch(p -> p.getNode().equals(pausedKey)));
                assertThat(holder.isAlive()).as("the holder runs; its log: %s", log("paused.log")).isTrue();
                List<String> fetcherCommand = new ArrayList<>(node(fetcher, coordinator.url()));
                fetcherCommand.addAll(List.of("--metrics-port", Integer.toString(metricsPort)));
                fetching = RealProcess.start(fetcherCommand, dir.resolve("fetcher.log"));
                Process f = fetching;
                await().atMost(Duration.ofMinutes(4)).until(() -> !holder.isAlive() || !f.isAlive()
                        || log("paused.log").contains("at crash point " + CrashPoints.BUNDLE_SERVING));
                assertThat(holder.isAlive() && f.isAlive()).as("the holder serving the fetcher; their logs: %s\n%s",
                        log("paused.log"), log("fetcher.log")).isTrue();
                PausedProcessTest.signal("STOP", holder);

                // another holder comes up while the first stays paused
                TestNetwork.seedInto(dir.resolve("other"), files);
                String otherKey = HexFormat.of().formatHex(
                        IdentityStore.loadOrCreate(dir.resolve("other")).publicId().toByteString().toByteArray());
                other = TestNetwork.node(NodeImportKillTest.serveOnly(dir.resolve("other"), coordinator.url()));
                await().atMost(Duration.ofMinutes(4)).until(() -> !f.isAlive()
                        || NodeImportKillTest.transfers(fetcher).contains(commit));
                assertThat(f.isAlive()).as("the fetcher runs; its log: %s", log("fetcher.log")).isTrue();
                assertThat(NodeImportKillTest.transfers(fetcher)).as("the fetcher's transfer, from the other holder")
                        .contains("\"node\":\"" + otherKey + "\"");
                assertThat(bans()).as("bans the fetcher imposed; its log: %s", log("fetcher.log")).isZero();

                PausedProcessTest.signal("CONT", holder);
                // every other holder goes: the resumed node alone holds the commit
                RealProcess.stop(fetching);
                other.close();
                other = null;
                Path agent = dir.resolve("agent");
                Path ws = dir.resolve("ws");
                CliRun claim = CliRun.of("claim", "--data-dir", agent.toString(), "--coordinator", coordinator.url(),
                        "--direction", "d", "--workspace", ws.toString(), "--json");
                assertThat(claim.code()).as("a claim checked out from the resumed node alone: %s; its log: %s",
                        claim.err(), log("paused.log")).isZero();
                assertThat(ws.resolve("Train.java")).as("the seed's files, served by the resumed node").exists();
                assertThat(holder.isAlive()).isTrue();
            } finally {
                PausedProcessTest.signal("CONT", holder);
                RealProcess.stop(holder);
                RealProcess.stop(fetching);
                if (other != null) {
                    other.close();
                }
            }
        }
    }

    private double bans() throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        PrometheusText metrics = PrometheusText.parse(response.body());
        assertThat(metrics.samples("rhizome_node_peers_banned_total")).as("the fetcher's ban counter").isNotEmpty();
        return metrics.value("rhizome_node_peers_banned_total", Map.of());
    }

    /** The fetcher's metrics port. */
    private int metricsPort;

    /** Outside the ephemeral range: found free here, bound later by the node, where a port-0 socket may not take it meanwhile. */
    private static int freePort() throws IOException {
        return NonEphemeralPort.find();
    }

    private static List<String> node(Path dataDir, String url) {
        return TestNetwork.nodeCommand("node", "--data-dir", dataDir.toString(), "--coordinator", url, "--cpu-jobs", "1");
    }

    private String log(String name) throws IOException {
        return RealProcess.output(dir.resolve(name));
    }
}
