package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.Workspaces;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A claim whose lease ran out at the coordinator, not one backdated in the data directory
 * (LeaseAndClosureTest does that): a coordinator with a short lease, the lease expired there by the
 * coordinator itself. What the agent meets at `brief` (it offered `renew`, which that lease refuses)
 * and `submit`, and that the commands it is given take its committed work in under a new claim.
 */
class ExpiredClaimWalkTest {
    /** Long enough for a claim and a submit at load 30, short enough to wait out in a test. */
    private static final Duration LEASE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void aLeaseTheCoordinatorExpiredIsToldAtBriefAndSubmitAndTheGivenCommandsTakeTheWorkIn() throws Exception {
        Path agent = dir.resolve("agent");
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")).withLeaseDuration(LEASE));
                // the agent's node, serving its commits (a submit refuses without one: no_node) and running none
                NodeDaemon agentsNode = TestNetwork.node(NodeConfig.defaults(agent, c.url()).withDirection("serve-only"))) {
            String url = c.url();
            String seed = CliRun.openDirection(url, dir.resolve("op"), dir.resolve("node"), "d");
            JsonObject claim = CliRun.at(url, agent, "claim", "--direction", "d", "--json").succeeded("claim").json();
            String unitId = claim.getAsJsonObject("unit").get("id").getAsString();
            // the workspace as `claim --workspace` checks it out, and a change committed in it
            Path ws = dir.resolve("the ws");
            try (NodeRepository repo = NodeRepository.open(new NodeLayout(dir.resolve("node")).repository())) {
                Workspaces.create(repo, seed, ws, "rhizome/" + unitId);
            }
            new WorkspaceClaim(unitId, agent, url).write(ws);
            String change;
            try (Git git = Git.open(ws.toFile())) {
                Files.writeString(ws.resolve("config.properties"), "x=1.6487\n");
                git.add().addFilepattern("config.properties").call();
                change = git.commit().setMessage("x near e^0.5").setAuthor("a", "a@example.org")
                        .setCommitter("a", "a@example.org").setSign(false).call().getName();
            }

            // the coordinator expires it: past its deadline, at the next claim (another agent's) or its sweep
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            long deadline = claim.getAsJsonObject("unit").get("lease_deadline_ms").getAsLong();
            await().atMost(LEASE.multipliedBy(3)).until(() -> System.currentTimeMillis() > deadline + 1_000);
            CliRun.at(url, dir.resolve("other"), "claim", "--direction", "d", "--json").succeeded("claim");
            await().atMost(Duration.ofMinutes(2)).until(() -> operator.unit(unitId)
                    .map(u -> u.getState() != UnitStatus.State.LEASED && u.getExpiredLeases() >= 1).orElse(false));

            // brief: the lease ended, and the way on, not the renew it refuses
            JsonObject brief = CliRun.of("brief", "--direction", "d", "--workspace", ws.toString(),
                    "--data-dir", agent.toString(), "--coordinator", url, "--json").succeeded("brief").json();
            JsonObject unit = brief.getAsJsonObject("unit");
            assertThat(unit.get("id").getAsString()).isEqualTo(unitId);
            assertThat(unit.get("lease_expired").getAsBoolean()).isTrue();
            assertThat(unit.get("go_on").getAsString()).contains("what you committed in '" + ws.toAbsolutePath()
                    + "' can still be submitted").contains("rhizome claim --direction d --from " + CommitId.abbreviate(seed));
            CliRun briefText = CliRun.of("brief", "--direction", "d", "--workspace", ws.toString(),
                    "--data-dir", agent.toString(), "--coordinator", url).succeeded("brief");
            assertThat(briefText.out()).contains("lease ended").doesNotContain("s left; extend it with");

            // submit: lease_expired, with the claim of the same commit and the submit under it
            JsonObject refused = CliRun.of("submit", "--workspace", ws.toString(), "--json").failure(ExitCodes.REFUSED, "lease_expired");
            String hint = refused.get("hint").getAsString();
            // the same way on as the brief's, with nothing to fill in
            assertThat(hint).contains("what you committed in '" + ws.toAbsolutePath() + "' can still be submitted")
                    .contains("rhizome claim --direction d --from " + CommitId.abbreviate(seed))
                    .contains("rhizome submit --workspace '" + ws.toAbsolutePath() + "'")
                    .doesNotContain("NEW_UNIT", "NEW_DIR", "YOUR_WORKSPACE", "<");
            assertThat(unit.get("go_on").getAsString()).contains("rhizome submit --workspace '" + ws.toAbsolutePath() + "'");

            // the printed claim, as a shell reads it: a new unit of the same commit
            List<String> claimWords = new ArrayList<>(CliRun.shellWords(CliRun.firstCommand(hint)));
            claimWords.add("--json");
            JsonObject again = CliRun.of(claimWords.toArray(String[]::new)).succeeded("claim again").json();
            String newUnit = again.getAsJsonObject("unit").get("id").getAsString();
            assertThat(newUnit).isNotEqualTo(unitId);
            assertThat(again.getAsJsonObject("unit").get("commit").getAsString()).isEqualTo(seed);
            // the printed submit, word for word: the work goes in under the new claim
            String submitCommand = hint.substring(hint.indexOf("`rhizome submit ") + "`rhizome ".length());
            submitCommand = submitCommand.substring(0, submitCommand.indexOf('`'));
            List<String> submitWords = new ArrayList<>(CliRun.shellWords(submitCommand));
            submitWords.add("--json");
            CliRun submit = CliRun.of(submitWords.toArray(String[]::new)).succeeded(submitCommand);
            assertThat(submit.err()).contains("submitting under unit " + newUnit);
            JsonObject submitted = submit.json();
            assertThat(submitted.get("commit").getAsString()).isEqualTo(change);
            assertThat(submitted.get("parent").getAsString()).isEqualTo(seed);
            // the workspace now names the new claim: a second submit there is already_submitted, not lease_expired
            assertThat(WorkspaceClaim.read(ws).orElseThrow().unitId()).isEqualTo(newUnit);
        }
    }
}
