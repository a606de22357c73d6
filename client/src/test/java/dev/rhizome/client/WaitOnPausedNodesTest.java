package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.work.InventoryAnnouncer;
import dev.rhizome.node.work.InventoryAnnouncer.Availability;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome wait` on an experiment whose only able nodes are paused by their volunteers waited out
 * its --timeout (an hour by default) and ended as timed out, though nothing would run the
 * evaluations until someone resumed a node. It ends at once (exit 7, {@code nodes_paused}), saying
 * whose nodes they are (the agent's own key's, or other volunteers') and the command that resumes
 * its own; a node that claims again lets the wait go on as before.
 */
class WaitOnPausedNodesTest {
    private static final Availability PAUSED = new Availability(true, "paused by its volunteer");

    @TempDir
    Path dir;

    @Test
    void aWaitOnPausedNodesEndsAtOnceSayingWhoseTheyAreAndHowToResumeOnesOwn() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = c.url();
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "tiny", "d");
            String commit = OpenDirections.register(operator, seed, "d", "raise the learning rate");

            // another volunteer's node, paused: the agent cannot resume it
            Identity volunteer = Identity.generate();
            announce(url, volunteer, PAUSED);
            String volunteerKey = hex(volunteer);
            // an hour's timeout: only the early end answers before the test's own limit
            CliRun other = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "3600", "--json");
            JsonObject o = other.failure(ExitCodes.NODES_PAUSED, "nodes_paused", "is paused by its volunteer");
            assertThat(o.get("message").getAsString()).contains("another volunteer's, key " + volunteerKey);
            assertThat(o.get("decided").getAsBoolean()).isFalse();
            JsonArray nodes = o.getAsJsonArray("paused_nodes");
            assertThat(nodes).hasSize(1);
            assertThat(nodes.get(0).getAsJsonObject().get("node_id").getAsString()).isEqualTo(volunteerKey);
            assertThat(nodes.get(0).getAsJsonObject().get("yours").getAsBoolean()).isFalse();
            assertThat(o.get("resume_command").isJsonNull()).isTrue();
            assertThat(o.get("hint").getAsString()).contains("only their volunteers resume them")
                    .contains("rhizome node --coordinator " + url)
                    .contains("rhizome wait --commit " + commit + " --data-dir ");

            // the agent's own node (its data directory's key), paused too: its resume command, printed
            // with that data directory, runs as printed
            Identity own = IdentityStore.loadOrCreate(agent);
            announce(url, own, PAUSED);
            CliRun mine = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "3600", "--json");
            JsonObject m = mine.failure(ExitCodes.NODES_PAUSED, "nodes_paused", "yours, key " + hex(own));
            assertThat(m.getAsJsonArray("paused_nodes")).hasSize(2);
            assertThat(m.getAsJsonArray("paused_nodes").get(0).getAsJsonObject().get("yours").getAsBoolean()).isTrue();
            String resume = m.get("resume_command").getAsString();
            assertThat(resume).startsWith("rhizome node resume --data-dir ");
            assertThat(m.get("hint").getAsString()).contains("`" + resume + "`");
            List<String> words = CliRun.shellWords(resume);
            CliRun resumed = CliRun.of(words.subList(1, words.size()).toArray(String[]::new));
            assertThat(resumed.code()).as(resumed.out() + resumed.err()).isZero();

            // the text answer says the same on its last line, exit 7
            CliRun text = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "3600");
            assertThat(text.code()).as(text.out() + text.err()).isEqualTo(ExitCodes.NODES_PAUSED);
            assertThat(text.out()).contains("(exit 7): resume your node with `" + resume + "`");

            // a node that claims again: the wait goes on to its timeout, as before
            announce(url, volunteer, Availability.CLAIMING);
            CliRun waiting = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0", "--json");
            JsonObject w = waiting.failure(ExitCodes.TIMED_OUT, "timed_out");
            assertThat(w.getAsJsonArray("paused_nodes")).isEmpty();
            assertThat(w.get("resume_command").isJsonNull()).isTrue();
        }
    }

    private static void announce(String url, Identity node, Availability availability) throws Exception {
        new CoordinatorClient(url, node).announce(InventoryAnnouncer.announcement(node.publicId(), "127.0.0.1", 9,
                List.of(), "cpu:log", System.currentTimeMillis(), availability));
    }

    private static String hex(Identity id) {
        return HexFormat.of().formatHex(id.publicId().toByteString().toByteArray());
    }
}
