package dev.rhizome.client.agent;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.protocol.CommitId;
import java.util.Optional;

/**
 * What to do once a wait for an experiment ends, the same for `wait`, `submit --wait` and `agent`:
 * why its evaluations stay queued when it is not decided, the `rhizome publish` command for a paper
 * when it is. Only `wait` said so before round 25; `submit --wait` and `agent` ended on the metric,
 * where the README's loop goes on to a paper.
 */
public final class OutcomeNextSteps {
    private OutcomeNextSteps() {
    }

    /** The command that publishes a paper about {@code commit}, naming the data directory and coordinator in use. */
    public static String publishCommand(String commit, FollowUp where) {
        return where.command("publish --paper FINDING.md --commit " + CommitId.abbreviate(commit));
    }

    /** The line that offers it, for a decided experiment. */
    public static String publishLine(String commit, FollowUp where) {
        return "to tell the others what it showed (adopted or not, a result is worth a paper): "
                + publishCommand(commit, where);
    }

    /**
     * Adds {@code queued_reason} and {@code publish_command} (each null where it does not apply) to an
     * outcome ({@link Outcome#json} carries {@code waiting_for_independent_runner}, the coordinator's word).
     */
    public static void addTo(JsonObject outcome, String commit, ExperimentReport report, Optional<String> whyQueued,
            FollowUp where) {
        outcome.addProperty("queued_reason", report.getDecided() ? null : whyQueued.orElse(null));
        outcome.addProperty("publish_command", report.getDecided() ? publishCommand(commit, where) : null);
    }

    /** The lines that follow the outcome's own in text: the reason it is still queued, or the publish line. */
    public static Optional<String> line(String commit, ExperimentReport report, Optional<String> whyQueued,
            FollowUp where) {
        return report.getDecided() ? Optional.of(publishLine(commit, where)) : whyQueued.map(w -> "queued: " + w);
    }
}
