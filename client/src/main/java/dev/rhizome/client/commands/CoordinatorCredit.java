package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Volunteer;
import dev.rhizome.protocol.identity.PublicId;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The credit the coordinator keeps for a node's key, added to `node status`'s answer: the node's
 * own counts start from zero at each start, and a volunteer who restarted read them as credit lost.
 * Asked with a short timeout, since the status is about the node and must come when the
 * coordinator is down; then the answer says why the credit is missing and keeps the local counts.
 */
final class CoordinatorCredit {
    /** Long enough for a loaded coordinator's one indexed read, short enough that status stays prompt. */
    static final Duration TIMEOUT = Duration.ofSeconds(3);

    private CoordinatorCredit() {
    }

    /**
     * Adds {@code coordinator_credit} ({@code credit_seconds, valid, invalid, errors, trusted}; all
     * zero for a key with no judged result yet) and {@code coordinator_credit_problem} (why the
     * credit is missing, else null) to the node's status answer.
     */
    static void add(JsonObject status, Path dataDir) {
        JsonObject credit = null;
        String problem;
        if (!status.has("coordinator") || status.get("coordinator").isJsonNull() || !status.has("node")) {
            problem = "this node does not name its coordinator (a node older than this rhizome): "
                    + "rhizome leaderboard --volunteers shows the credit";
        } else {
            String url = status.get("coordinator").getAsString();
            try {
                PublicId key = PublicId.parse(status.get("node").getAsString());
                Volunteer v = new CoordinatorClient(url, Coordinators.identity(dataDir), TIMEOUT)
                        .volunteer(key.toByteString()).orElse(Volunteer.getDefaultInstance());
                credit = new JsonObject();
                credit.addProperty("credit_seconds", v.getCreditSeconds());
                credit.addProperty("valid", v.getValid());
                credit.addProperty("invalid", v.getInvalid());
                credit.addProperty("errors", v.getErrors());
                credit.addProperty("trusted", v.getTrusted());
                problem = null;
            } catch (CoordinatorException | IllegalArgumentException e) {
                problem = "the coordinator at " + url + " did not answer for this node's credit: " + e.getMessage();
            }
        }
        status.add("coordinator_credit", credit);
        status.addProperty("coordinator_credit_problem", problem);
    }
}
