package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome node stop` with a unit claimed ahead of the running job: the stop gives it back before
 * the process ends (open to the next claim, no expired lease), where it used to wait out its lease
 * (an hour here). The running job's unit keeps its old fate: left to its lease.
 */
class StopGivesBackTest {
    @TempDir
    Path dir;

    @Test
    void anOrderlyStopGivesBackTheUnitClaimedAheadAndLeavesTheRunningJobsUnitToItsLease() throws Exception {
        Path node = dir.resolve("node");
        NodeLayout layout = new NodeLayout(node);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            // jobs of some 23 s (a step each 100 ms, mostly asleep) under a 25 s timeout: the slot claims
            // its next unit 10 s before the timeout, some 8 s before the job ends
            TestNetwork.publishWithDirection(operator, node, TestNetwork.slowSeed(230, 25), "d");
            NodeDaemon daemon = TestNetwork.node(NodeConfig.defaults(node, coordinator.url()));
            JsonObject slot;
            try {
                slot = await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    JsonObject s = CliRun.of("node", "status", "--json", "--data-dir", node.toString())
                            .succeeded("node status --json").json().getAsJsonArray("slots").get(0).getAsJsonObject();
                    return s.get("job").isJsonObject() && s.get("next").isJsonObject() ? s : null;
                }, s -> s != null);
            } finally {
                daemon.close();
            }
            String running = slot.getAsJsonObject("job").get("unit").getAsString();
            String ahead = slot.getAsJsonObject("next").get("unit").getAsString();
            byte[] key = IdentityStore.loadOrCreate(node).publicId().toByteString().toByteArray();

            // the stop's give-back may end after close() returns (it waits 10 s for the loop), never after the process
            UnitStatus givenBack = await().atMost(Duration.ofSeconds(60)).until(() -> operator.units("OPEN").getUnitsList()
                    .stream().filter(u -> u.getUnit().getId().equals(ahead)).findFirst().orElse(null), u -> u != null);
            assertThat(givenBack.getExpiredLeases()).as("given back, not expired").isZero();
            List<String> stillLeased = operator.units("LEASED").getUnitsList().stream()
                    .filter(u -> java.util.Arrays.equals(u.getHolder().toByteArray(), key))
                    .map(u -> u.getUnit().getId()).toList();
            assertThat(stillLeased).as("the running job's unit, left to its lease as before").containsExactly(running);
            assertThat(Files.exists(layout.giveBacks()) ? Files.list(layout.giveBacks()).toList() : List.of())
                    .as("nothing left to give back").isEmpty();
            assertThat(Files.list(layout.buffer()).toList()).as("nothing buffered for the next start").isEmpty();
        }
    }
}
