package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

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
 * one (its store replaced, a fresh coordinator on the same port), the refused command is signed
 * again for the new id and sent once more, saying so on standard error, and the next one signs for
 * the new id: the CLI follows its coordinator (a node does not, NodeNetworkKeptTest).
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

        // as if the coordinator's store had been replaced since (a coordinator started afresh on the
        // same port): the kept id is signed for and refused, the id is read again, and the command
        // goes again by itself, saying so on standard error; a script's next command signs for the new id
        Files.writeString(kept, "net-before\n" + network.url() + "\n");
        CliRun followed = as("direction", "open", "--seed", "slow", "--name", "d3");
        assertThat(followed.code()).as(followed.out() + followed.err()).isZero();
        assertThat(followed.err()).contains("now serves network " + id + ", not net-before", "POST /v1/directions",
                "went again signed for the new one");
        assertThat(Files.readAllLines(kept, StandardCharsets.UTF_8)).containsExactly(id, network.url());
        CliRun next = as("direction", "open", "--seed", "slow", "--name", "d4");
        assertThat(next.code()).isZero();
        assertThat(next.err()).doesNotContain("now serves network");
    }

    @Test
    void aClaimRefusedAsTheOldNetworksGoesAgainSignedForTheNewOne() throws Exception {
        String id = network.operator().network();
        Path agent = dir.resolve("agent");
        Path kept = KnownNetwork.ofCli(agent, CoordinatorClient.parseUrl(network.url())).file();
        Files.createDirectories(kept.getParent());
        Files.writeString(kept, "net-before\n" + network.url() + "\n");
        CliRun claim = CliRun.of("claim", "--direction", SeededCoordinator.DIRECTION, "--json", "--data-dir",
                agent.toString(), "--coordinator", network.url());
        assertThat(claim.code()).as(claim.out() + claim.err()).isZero();
        assertThat(claim.out()).contains("\"unit\"");
        assertThat(claim.err()).contains("POST /v1/claim", "now serves network " + id);
        assertThat(Files.readAllLines(kept, StandardCharsets.UTF_8)).containsExactly(id, network.url());
    }

    private CliRun as(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--json", "--data-dir", dir.resolve("operator").toString(), "--coordinator", network.url()));
        return CliRun.of(all.toArray(String[]::new));
    }
}
