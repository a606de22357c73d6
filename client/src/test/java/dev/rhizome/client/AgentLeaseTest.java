package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent's lease while it works: `rhizome agent` keeps its round's lease while the agent command
 * runs (a coding agent that read, edited and committed for longer than the lease, about 4.5 minutes
 * for tiny-lm, here 24 s, had its round's submit refused as lease_expired, though --round-timeout,
 * 30 minutes by default, allowed it), and a read run in a claimed workspace says when its lease is
 * ending and that `rhizome renew` extends it (nothing did but `submit`'s refusal).
 */
class AgentLeaseTest {
    private static final Duration LEASE = Duration.ofSeconds(24);

    @TempDir
    Path dir;

    @Test
    void aCommandThatRunsPastTheLeaseStillSubmits() throws Exception {
        Path agentDir = dir.resolve("agent");
        CoordinatorConfig config = CoordinatorConfig.defaults(dir.resolve("coordinator")).withLeaseDuration(LEASE);
        try (Coordinator coordinator = Coordinator.start(config)) {
            String url = coordinator.url();
            CoordinatorClient operator = new CoordinatorClient(url, IdentityStore.loadOrCreate(dir.resolve("operator")));
            // the agent's own node holds the seed's commit: its checkout needs no peer
            TestNetwork.publishWithDirection(operator, agentDir, TestNetwork.slowSeed(1, 180), "d");
            try (NodeDaemon agentsNode = TestNetwork.node(NodeConfig.defaults(agentDir, url))) {
                long sleep = LEASE.toSeconds() * 3 / 2;
                CliRun agent = CliRun.at(url, agentDir, "agent", "--direction", "d", "--rounds", "1", "--no-wait",
                        "--round-timeout", "300", "--cmd", "sleep " + sleep + " && printf 'x=1.6\\n' > config.properties",
                        "--json");
                assertThat(agent.code()).as(agent.out() + agent.err()).isZero();
                JsonObject round = JsonParser.parseString(agent.lines().get(0)).getAsJsonObject();
                assertThat(round.has("error")).as(round + "\n" + agent.err()).isFalse();
                assertThat(round.get("submitted").getAsBoolean()).as(round.toString()).isTrue();
                assertThat(round.get("command_ms").getAsLong()).as("the command ran past the lease")
                        .isGreaterThan(LEASE.toMillis());
                assertThat(agent.err()).contains("renewed the lease on unit");
            }
        }
    }

    @Test
    void aReadInAClaimedWorkspaceSaysWhenItsLeaseIsEnding() throws Exception {
        Path agentDir = dir.resolve("agent");
        CoordinatorConfig config = CoordinatorConfig.defaults(dir.resolve("coordinator")).withLeaseDuration(Duration.ofSeconds(90));
        try (Coordinator coordinator = Coordinator.start(config)) {
            String url = coordinator.url();
            OpenDirections.seed(new CoordinatorClient(url, Identity.generate()), "tiny", "d");
            CliRun claim = CliRun.at(url, agentDir, "claim", "--direction", "d", "--json").succeeded("claim");
            String unit = claim.json().getAsJsonObject("unit").get("id").getAsString();
            // the record `claim --workspace` leaves in a checkout (filling one needs a node serving the commit)
            Path ws = dir.resolve("ws");
            Files.createDirectories(ws.resolve(".git"));
            new WorkspaceClaim(unit, agentDir, url).write(ws);

            CliRun tree = CliRun.child(ws, "tree", "--json");
            assertThat(tree.code()).as(tree.err()).isZero();
            assertThat(tree.json().get("direction").getAsString()).isEqualTo("d");
            assertThat(tree.err()).containsPattern("the lease on unit " + unit + " \\(this workspace's claim\\) ends in \\d+ s: "
                    + "`rhizome renew` run here extends it");
            CliRun renewed = CliRun.child(ws, "renew", "--json");
            assertThat(renewed.code()).as(renewed.err()).isZero();
            assertThat(renewed.err()).as("renew itself says nothing of it").doesNotContain("ends in");
        }
    }
}
