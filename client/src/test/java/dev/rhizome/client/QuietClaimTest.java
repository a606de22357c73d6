package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome claim` as an agent runs it, in its own process: a fetch nobody can serve is reported
 * once, in words, in the answer; standard error is not filled with one WARN line per retry naming
 * Java exception classes (the node's operator still gets those: `rhizome node` logs them).
 */
class QuietClaimTest {
    @TempDir
    Path dir;

    @Test
    void aFailedFetchIsOneAnswerNotALogOfRetries() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = coordinator.url();
            Path operatorDir = dir.resolve("operator");
            CoordinatorClient operator = new CoordinatorClient(url, IdentityStore.loadOrCreate(operatorDir));
            Path node = Files.createDirectories(dir.resolve("node"));
            try (NodeRepository repo = NodeRepository.open(new NodeLayout(node).repository())) {
                SeedPublisher.publish(repo, TestNetwork.slowSeed(1, 60), operator, Clock.systemUTC());
            }
            int open = Main.commandLine().execute("direction", "open", "--seed", "slow", "--name", "d",
                    "--data-dir", operatorDir.toString(), "--coordinator", url);
            assertThat(open).isZero();

            Process claim = new ProcessBuilder(TestNetwork.launcher("claim", "--json", "--direction", "d",
                    "--workspace", dir.resolve("ws").toString(), "--data-dir", dir.resolve("agent").toString(),
                    "--coordinator", url))
                    .redirectOutput(dir.resolve("claim.out").toFile()).redirectError(dir.resolve("claim.err").toFile())
                    .start();
            assertThat(claim.waitFor(3, TimeUnit.MINUTES)).isTrue();
            String err = Files.readString(dir.resolve("claim.err"));
            List<String> out = Files.readAllLines(dir.resolve("claim.out")).stream().filter(l -> !l.isBlank()).toList();
            assertThat(out).as(err).hasSize(1);
            JsonObject o = JsonParser.parseString(out.get(0)).getAsJsonObject();
            assertThat(o.get("error").getAsString()).isEqualTo("fetch_failed");
            // the unit leased before the fetch failed is given back, and the answer says so, as an
            // interrupted claim's does: an agent must not think it still holds a lease to renew
            assertThat(o.get("given_back").getAsBoolean()).isTrue();
            String unit = o.get("unit_id").getAsString();
            assertThat(o.get("message").getAsString()).contains("unit " + unit + " was given back");
            assertThat(err).contains("unit " + unit + " was given back");
            assertThat(err).doesNotContain(" WARN ").doesNotContain("Exception");
        }
    }
}
