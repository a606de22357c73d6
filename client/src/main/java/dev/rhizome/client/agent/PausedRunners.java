package dev.rhizome.client.agent;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import dev.rhizome.client.cli.ErrorFields;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;
import java.util.Optional;

/**
 * Every node that could run an experiment's queued evaluations is paused by its volunteer, and none
 * runs one of them now: `wait` (and `submit --wait`) waited out its --timeout, an hour by default,
 * on a network that would run nothing until someone resumed a node. The wait ends early on it
 * ({@link ExitCodes#NODES_PAUSED}), saying whose nodes they are: one of the waiter's own key (a
 * node run on its data directory) is the waiter's to resume, with the command; another volunteer's
 * is not, and the waiter is told what it can do instead. Pure: the caller reads the nodes.
 */
public record PausedRunners(String commit, List<String> yours, List<String> others, FollowUp where) {
    /** The error an agent branches on: resume a node (or start one), then wait again. */
    public static final String ERROR = "nodes_paused";

    /**
     * Present when {@code report}'s experiment is undecided, has evaluations queued and none held by
     * a runner, in an open direction, and every node {@code seen} that can run them is paused; the
     * keys of those paused nodes are sorted into {@code own}'s and the others'.
     */
    static Optional<PausedRunners> of(String commit, ExperimentReport report, QueueReason.Seen seen, ByteString own,
            FollowUp where) {
        if (seen == null || seen.notClaiming() == null || report.getDecided() || !QueueReason.queued(report)
                || report.getLeasedUnits() > 0 || seen.directionClosed().isPresent()
                || report.getWaitingForIndependentRunner() || !seen.notClaiming().allPaused()) {
            return Optional.empty();
        }
        List<ByteString> paused = seen.notClaiming().pausedNodes();
        return Optional.of(new PausedRunners(commit,
                paused.stream().filter(own::equals).map(PublicId::hex).toList(),
                paused.stream().filter(k -> !k.equals(own)).map(PublicId::hex).sorted().toList(),
                where));
    }

    /** The command that resumes the waiter's own node; empty when no paused node is of its key. */
    public Optional<String> resumeCommand() {
        // `node resume` talks to the node on the data directory, not to the coordinator
        return yours.isEmpty() ? Optional.empty() : Optional.of(new FollowUp(null, where.dataDir()).command("node resume"));
    }

    public String message() {
        int n = yours.size() + others.size();
        StringBuilder whose = new StringBuilder();
        if (!yours.isEmpty()) {
            whose.append("yours, key ").append(yours.get(0));
        }
        if (!others.isEmpty()) {
            whose.append(whose.isEmpty() ? "" : "; ").append(others.size() == 1 ? "another volunteer's, key "
                    : others.size() + " other volunteers', keys ").append(String.join(", ", others));
        }
        return "every node that can run experiment " + commit + "'s queued evaluations is paused by its volunteer ("
                + n + " node" + (n == 1 ? "" : "s") + ": " + whose + "), and none runs them until one is resumed";
    }

    public String hint() {
        String waitAgain = "`" + where.command("wait --commit " + commit) + "`";
        String keep = "nothing is lost: the evaluations stay queued";
        Optional<String> resume = resumeCommand();
        if (resume.isPresent()) {
            return "resume your node with `" + resume.get() + "` (on the data directory that node runs on, if it is "
                    + "not this one: `rhizome id --data-dir DIR` prints its key), then wait again with " + waitAgain
                    + "; " + keep;
        }
        return "only their volunteers resume them (`rhizome node resume` on their machines); to run these yourself, "
                + "start a node of your own with `rhizome node --coordinator "
                + (where.coordinator() == null ? "URL" : Shell.quote(where.coordinator())) + "` (see `rhizome node --help`)"
                + ", then wait again with " + waitAgain + "; " + keep + ", and you can claim other work meanwhile";
    }

    /** The text answer's last line. */
    public String line() {
        return message() + " (exit " + ExitCodes.NODES_PAUSED + "): " + hint();
    }

    /**
     * Adds the error ({@code nodes_paused}) and the keys that say whose nodes are paused:
     * {@code paused_nodes} (each {@code node_id}, hex, and {@code yours}) and {@code resume_command}
     * (null when none is the waiter's).
     */
    public void addTo(JsonObject o) {
        ErrorFields.put(o, ERROR, message(), hint());
        JsonArray nodes = new JsonArray();
        yours.forEach(k -> nodes.add(node(k, true)));
        others.forEach(k -> nodes.add(node(k, false)));
        o.add("paused_nodes", nodes);
        o.addProperty("resume_command", resumeCommand().orElse(null));
    }

    private static JsonObject node(String key, boolean yours) {
        JsonObject n = new JsonObject();
        n.addProperty("node_id", key);
        n.addProperty("yours", yours);
        return n;
    }
}
