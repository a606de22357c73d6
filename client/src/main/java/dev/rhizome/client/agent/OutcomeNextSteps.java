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
     * Adds {@code queued_reason}, {@code publish_command}, {@code retry_reason} and {@code retry_command}
     * (each null where it does not apply) to an outcome ({@link Outcome#json} carries
     * {@code waiting_for_independent_runner}, the coordinator's word). A decided experiment with no OK
     * result gets the retry pair instead of the publish command: it measured nothing to write about.
     */
    public static void addTo(JsonObject outcome, String commit, ExperimentReport report, Optional<String> whyQueued,
            FollowUp where) {
        addQueued(outcome, commit, report, whyQueued.map(w -> new QueueReason.Queued(w, null, null)), where);
    }

    /**
     * {@link #addTo(JsonObject, String, ExperimentReport, Optional, FollowUp)}, with {@code waiting_for}
     * and {@code open_to_any_ms} (null where not queued, or not waiting for a core to spare) beside
     * queued_reason; and with the retry, {@code retry_after_s} and {@code retry_not_before_ms}: when
     * its proposer's next experiment is taken (0 and now when at once).
     */
    public static void addQueued(JsonObject outcome, String commit, ExperimentReport report,
            Optional<QueueReason.Queued> queued, FollowUp where) {
        Optional<QueueReason.Queued> whyQueued = report.getDecided() ? Optional.empty() : queued;
        outcome.addProperty("waiting_for", whyQueued.map(QueueReason.Queued::waitingFor).orElse(null));
        outcome.addProperty("open_to_any_ms", whyQueued.map(QueueReason.Queued::openToAnyMs).orElse(null));
        Optional<NoResultRetry> retry = NoResultRetry.of(commit, report, where);
        long now = System.currentTimeMillis();
        outcome.addProperty("retry_after_s", retry.map(r -> NoResultRetry.afterSeconds(report)).orElse(null));
        outcome.addProperty("retry_not_before_ms", retry.map(r -> now + report.getProposerRefusedForMs()).orElse(null));
        outcome.addProperty("queued_reason", whyQueued.map(QueueReason.Queued::reason).orElse(null));
        outcome.addProperty("publish_command", report.getDecided() && retry.isEmpty()
                ? publishCommand(commit, where) : null);
        outcome.addProperty("retry_reason", retry.map(NoResultRetry::reason).orElse(null));
        outcome.addProperty("retry_command", retry.map(NoResultRetry::command).orElse(null));
    }

    /**
     * The lines that follow the outcome's own in text: the reason it is still queued, the retry line
     * (decided with no OK result), or the publish line.
     */
    public static Optional<String> lineQueued(String commit, ExperimentReport report, Optional<QueueReason.Queued> queued,
            FollowUp where) {
        return line(commit, report, queued.map(QueueReason.Queued::reason), where);
    }

    public static Optional<String> line(String commit, ExperimentReport report, Optional<String> whyQueued,
            FollowUp where) {
        if (!report.getDecided()) {
            return whyQueued.map(w -> "queued: " + w);
        }
        return Optional.of(NoResultRetry.of(commit, report, where).map(NoResultRetry::line)
                .orElseGet(() -> publishLine(commit, where)));
    }
}
