package dev.rhizome.client.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.support.RefusedPort;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volunteer who restarted the node saw "since this node started: 0 results" and no credit:
 * `node status` now asks the coordinator for the credit it keeps for the node's key, and says why
 * it is missing when the coordinator does not answer, keeping the node's own counts.
 */
class CoordinatorCreditTest {
    @TempDir
    Path dir;

    @Test
    void aRunningCoordinatorAnswersTheKeysCreditAndTheStatusShowsIt() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            JsonObject status = status(coordinator.url());
            CoordinatorCredit.add(status, dir.resolve("node"));
            // a key the coordinator has judged nothing of yet: zero credit, answered, not an error
            assertThat(status.get("coordinator_credit_problem").isJsonNull()).as(status.toString()).isTrue();
            JsonObject credit = status.getAsJsonObject("coordinator_credit");
            assertThat(credit.get("credit_seconds").getAsDouble()).isZero();
            assertThat(credit.get("valid").getAsLong()).isZero();
            assertThat(credit.get("trusted").getAsBoolean()).isFalse();
            assertThat(NodeStatusText.render(status))
                    .contains("since this node started: 2 results reported")
                    .contains("credit kept by the coordinator across restarts (compute seconds of valid results): 0.0 s; "
                            + "0 valid, 0 invalid, 0 errors");
        }
    }

    @Test
    void aCoordinatorThatDoesNotAnswerIsNamedAndTheLocalCountsStay() throws Exception {
        String url;
        JsonObject status;
        try (RefusedPort refused = new RefusedPort()) {  // held, never listening: no other test's server can take it
            url = refused.url();
            status = status(url);
        }
        CoordinatorCredit.add(status, dir.resolve("node"));
        assertThat(status.get("coordinator_credit").isJsonNull()).isTrue();
        assertThat(status.get("coordinator_credit_problem").getAsString()).contains("the coordinator at " + url)
                .contains("did not answer");
        assertThat(NodeStatusText.render(status)).contains("since this node started: 2 results reported")
                .contains("not shown: the coordinator at " + url).contains("rhizome leaderboard --volunteers");
    }

    @Test
    void aNodeThatDoesNotNameItsCoordinatorPointsToTheLeaderboard() {
        JsonObject status = status(null);
        CoordinatorCredit.add(status, dir.resolve("node"));
        assertThat(status.get("coordinator_credit").isJsonNull()).isTrue();
        assertThat(NodeStatusText.render(status)).contains("does not name its coordinator")
                .contains("rhizome leaderboard --volunteers");
    }

    private static JsonObject status(String coordinator) {
        JsonObject o = JsonParser.parseString("""
                {"node":"%s","paused":false,"gate":"open","slots":[],"queued":0,
                 "credit":{"results_reported":2,"experiments_proposed":0,"jobs_run":2,"outbox_pending":0},
                 "disk":null,"peers":null}""".formatted(Identity.generate().publicId())).getAsJsonObject();
        if (coordinator != null) {
            o.addProperty("coordinator", coordinator);
        }
        return o;
    }
}
