package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.service.ClaimWaits;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How soon an idle node picks up new work, through a real coordinator and node: its slot's claim
 * waits at the coordinator (docs/api.md "Claims that wait"), so a seed published and its direction
 * opened reach it at once. The node here backs off for an hour after a claim answered at once with
 * no work, so a node that found the work by claiming again after a back-off, and not by a waiting
 * claim woken with it, would miss the bound: three of the coordinator's longest waits, each a claim
 * the node sends again at once when it ends. The time taken is printed (docs/performance.md).
 */
class IdlePickupTest {
    /** One claim's longest wait, and the next sent at once: the worst a woken claim may take, thrice for load. */
    private static final Duration BOUND = Duration.ofSeconds(3L * (ClaimWaits.MAX_WAIT_S + 1));

    @TempDir
    Path dir;

    @Test
    void anIdleNodesWaitingClaimIsGivenWorkAsItOpens() throws Exception {
        SortedMap<String, byte[]> seedFiles = TestNetwork.slowSeed(2, 60);
        Path nodeDir = dir.resolve("node");
        Identity node = IdentityStore.loadOrCreate(nodeDir);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            NodeConfig defaults = NodeConfig.defaults(nodeDir, coordinator.url()).withMaxUnits(1);
            NodeConfig config = new NodeConfig(defaults.dataDir(), defaults.coordinatorUrl(), defaults.host(),
                    defaults.peerPort(), defaults.explore(), defaults.direction(), defaults.maxUnits(), Duration.ofHours(1),
                    defaults.preferences(), defaults.metricsPort(), defaults.coordinatorSetBy(),
                    defaults.directionUnchecked(), defaults.announce());
            try (NodeDaemon daemon = TestNetwork.node(config)) {
                // idle on a network with no work: its slot's claim is held at the coordinator
                await().atMost(BOUND).until(() -> claimsWaiting(coordinator.url()) >= 1);
                long before = System.nanoTime();
                // the node holds the seed's commit: what is measured is the claim, not a fetch
                TestNetwork.publishWithDirection(operator, nodeDir, seedFiles, "d");
                long published = System.nanoTime();
                await().atMost(BOUND).pollInterval(Duration.ofMillis(20)).until(() -> operator.units("LEASED")
                        .getUnitsList().stream().map(UnitStatus::getHolder).anyMatch(node.publicId().toByteString()::equals));
                long claimed = System.nanoTime();
                System.out.printf("idle pickup: seed published and direction opened in %d ms; the node's first unit "
                        + "leased %d ms after that%n", (published - before) / 1_000_000, (claimed - published) / 1_000_000);
            }
        }
    }

    private static double claimsWaiting(String url) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("rhizome_claims_waiting ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no rhizome_claims_waiting in /metrics");
    }
}
