package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.KnownNetwork;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI keeps each coordinator's network id in its data dir once learnt (asked once per
 * coordinator, not per process) and signs for the kept one; when the coordinator answers another
 * one (its store replaced, a fresh coordinator on the same port), the command refused says so and
 * the next one signs for the new id: the CLI follows its coordinator (a node does not,
 * NodeNetworkKeptTest).
 */
class CliNetworkKeptTest {
    @TempDir
    Path dir;
    private SeededCoordinator network;

    @BeforeEach
    void start() throws Exception {
        network = SeededCoordinator.start(dir, dir.resolve("volunteer"), TestNetwork.slowSeed(1, 60));
    }

    @AfterEach
    void stop() {
        network.close();
    }

    @Test
    void theNetworkIdIsKeptPerCoordinatorAndFollowedWhenTheCoordinatorServesAnother() throws Exception {
        String id = network.operator().network();
        assertThat(as("direction", "open", "--seed", "slow", "--name", "d2").code()).isZero();
        Path kept = KnownNetwork.ofCli(dir.resolve("operator"), CoordinatorClient.parseUrl(network.url())).file();
        assertThat(Files.readAllLines(kept, StandardCharsets.UTF_8)).containsExactly(id, network.url());

        // as if the coordinator's store had been replaced since: the kept id is signed for and refused,
        // the id is read again, and the command run again goes through
        Files.writeString(kept, "net-before\n" + network.url() + "\n");
        JsonObject refused = as("direction", "open", "--seed", "slow", "--name", "d3")
                .failure(ExitCodes.REFUSED, "wrong_network", "net-before");
        assertThat(refused.get("hint").getAsString()).contains("run the command again");
        assertThat(Files.readAllLines(kept, StandardCharsets.UTF_8)).containsExactly(id, network.url());
        assertThat(as("direction", "open", "--seed", "slow", "--name", "d3").code()).isZero();
    }

    private CliRun as(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--json", "--data-dir", dir.resolve("operator").toString(), "--coordinator", network.url()));
        return CliRun.of(all.toArray(String[]::new));
    }
}
