package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `brief`, `log`, `tree`, `agent` and `claim` without --direction, through the real commands and
 * coordinator: a newcomer on a one-direction network was told "needs --direction" by each. They
 * take the only open direction (or the workspace's claim's) and say which on standard error; with
 * several open they are refused with the list, as any missing option is (exit 2, `usage`).
 */
class ImpliedDirectionTest {
    @TempDir
    Path dir;

    @Test
    void theOnlyOpenDirectionIsTakenAndSeveralAreRefusedWithTheirNames() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = coordinator.url();
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());

            CliRun none = CliRun.at(url, agent, "brief", "--json");
            assertThat(none.code()).as(none.out() + none.err()).isEqualTo(2);
            assertThat(none.json().get("message").getAsString()).contains("no open direction yet");
            assertThat(none.json().get("hint").getAsString()).contains("rhizome direction open");

            Seed seed = OpenDirections.seed(operator, "tiny", "lr");
            for (String command : new String[] {"brief", "log", "tree"}) {
                CliRun run = CliRun.at(url, agent, command, "--json");
                assertThat(run.code()).as(command + ": " + run.out() + run.err()).isZero();
                assertThat(run.json().get("direction").getAsString()).as(command).isEqualTo("lr");
                assertThat(run.err()).as(command).contains("--direction lr (the only open direction)");
            }
            // claim too: it leased a unit of whichever open direction the coordinator picked
            CliRun claimOne = CliRun.at(url, agent, "claim", "--json");
            assertThat(claimOne.code()).as(claimOne.out() + claimOne.err()).isIn(0, 3);
            assertThat(claimOne.err()).contains("--direction lr (the only open direction)");
            CliRun text = CliRun.at(url, agent, "log");
            assertThat(text.code()).as(text.err()).isZero();
            assertThat(text.err()).contains("--direction lr (the only open direction)");

            OpenDirections.open(operator, seed, "warmup");
            for (String[] args : new String[][] {{"brief", "--json"}, {"log", "--json"}, {"tree", "--json"},
                    {"agent", "--cmd", "true", "--json"}, {"claim", "--json"}}) {
                CliRun run = CliRun.at(url, agent, args);
                assertThat(run.code()).as(args[0] + ": " + run.out() + run.err()).isEqualTo(2);
                JsonObject error = run.json();
                assertThat(error.get("error").getAsString()).isEqualTo("usage");
                assertThat(error.get("option").getAsString()).isEqualTo("--direction");
                assertThat(error.get("message").getAsString())
                        .contains("--direction is missing").contains("2 open directions: ").contains("lr").contains("warmup");
                assertThat(error.get("hint").getAsString()).contains("rhizome " + args[0] + " --direction ");
            }
            assertThat(Files.exists(agent.resolve("agent").resolve("workspaces")))
                    .as("a refused agent claimed nothing and made no workspace").isFalse();
            assertThat(new CoordinatorClient(url, Identity.generate()).units("LEASED").getUnitsList())
                    .as("the refused claims leased nothing").allMatch(u -> u.getUnit().getDirection().equals("lr"));
            CliRun refusedText = CliRun.at(url, agent, "tree");
            assertThat(refusedText.code()).isEqualTo(2);
            assertThat(refusedText.err()).contains("2 open directions");

            // a closed direction is no candidate: one open again is taken
            OpenDirections.close(operator, "lr");
            CliRun afterClose = CliRun.at(url, agent, "log", "--json");
            assertThat(afterClose.code()).as(afterClose.err()).isZero();
            assertThat(afterClose.json().get("direction").getAsString()).isEqualTo("warmup");
        }
    }

    @Test
    void aWorkspacesClaimNamesTheDirectionWhereSeveralAreOpen() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = coordinator.url();
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            OpenDirections.seed(operator, "tiny", "lr", "warmup");
            CliRun claim = CliRun.at(url, agent, "claim", "--direction", "warmup", "--json");
            assertThat(claim.code()).as(claim.out() + claim.err()).isZero();
            String unit = claim.json().getAsJsonObject("unit").get("id").getAsString();
            // the record `claim --workspace` leaves in a checkout (filling one needs a node serving the commit)
            Path ws = dir.resolve("ws");
            Files.createDirectories(ws.resolve(".git"));
            new WorkspaceClaim(unit, agent, url).write(ws);
            Files.createDirectories(ws.resolve("src"));

            CliRun log = CliRun.child(ws.resolve("src"), "log", "--json");
            assertThat(log.code()).as(log.out() + log.err()).isZero();
            assertThat(log.json().get("direction").getAsString()).isEqualTo("warmup");
            assertThat(log.err()).contains("--direction warmup (the direction of this workspace's claim, unit " + unit + ")");
            // given, the option wins
            CliRun given = CliRun.child(ws, "tree", "--direction", "lr", "--json");
            assertThat(given.code()).as(given.err()).isZero();
            assertThat(given.json().get("direction").getAsString()).isEqualTo("lr");
            assertThat(given.err()).doesNotContain("(the direction of");
        }
    }
}
