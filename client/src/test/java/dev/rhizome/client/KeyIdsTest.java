package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key printed by one command can be given to another: beside the protobuf JSON's base64 key
 * fields, every --json answer has the hex form (`publisher_id`, `runner_id`, ...) that `rhizome id`
 * prints and `--operator` and `ban --key` take.
 */
class KeyIdsTest {
    @TempDir
    Path dir;

    @Test
    void theSeedListGivesItsPublisherAsRhizomeIdPrintsIt() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Identity operator = IdentityStore.loadOrCreate(dir.resolve("operator"));
            Path node = Files.createDirectories(dir.resolve("node"));
            try (NodeRepository repo = NodeRepository.open(new NodeLayout(node).repository())) {
                SeedPublisher.publish(repo, TestNetwork.slowSeed(1, 60), new CoordinatorClient(coordinator.url(), operator),
                        Clock.systemUTC());
            }
            JsonObject seed = CliRun.of("seed", "list", "--json", "--coordinator", coordinator.url(),
                    "--data-dir", dir.resolve("operator").toString()).json()
                    .getAsJsonArray("seeds").get(0).getAsJsonObject();
            assertThat(seed.get("publisher_id").getAsString()).isEqualTo(operator.publicId().toString());
            assertThat(seed.has("publisher")).as("the base64 field stays").isTrue();
        }
    }

    @Test
    void theDirectionListGivesWhoOpenedEachDirectionAsRhizomeIdPrintsIt() throws Exception {
        // `opened_by` was base64 alone: KeyIds did not know it for a key
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CliRun.openDirection(coordinator.url(), dir.resolve("operator"), dir.resolve("node"), "d");
            CliRun list = CliRun.of("direction", "list", "--json", "--coordinator", coordinator.url(),
                    "--data-dir", dir.resolve("agent").toString());
            JsonObject direction = list.json().getAsJsonArray("directions").get(0).getAsJsonObject()
                    .getAsJsonObject("direction");
            assertThat(direction.get("opened_by_id").getAsString())
                    .isEqualTo(IdentityStore.loadOrCreate(dir.resolve("operator")).publicId().toString());
        }
    }
}
