package dev.rhizome.client.agent;

import com.google.protobuf.ByteString;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.NewWorkspace;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.CommitId;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * An experiment decided with no OK result measured nothing: every run crashed or timed out, the
 * seed's policy refused the commit, or no runner could fetch it. It was offered `rhizome publish`
 * all the same, a paper about a measurement that never happened; what fits is to fix the change and
 * claim again from the commit it was made on (a decided commit is not evaluated again), so that is
 * what it is offered: a reason an agent can branch on and the claim that runs as printed.
 */
public record NoResultRetry(String reason, String command, String line) {
    /** Every run exited without a metric (or printed FAIL). */
    public static final String CRASHED = "crashed";
    /** Every run was killed at the manifest's timeout. */
    public static final String TIMED_OUT = "timed_out";
    /** Not run: the commit breaks the seed's policy (changes a file it may not). */
    public static final String REFUSED = "refused";
    /** Not run: no runner could fetch the commit, and the coordinator gave its evaluations up. */
    public static final String NOT_FETCHED = "not_fetched";
    /** Decided with no result at all to say why (not expected; said rather than guessed). */
    public static final String NO_OK_RESULT = "no_ok_result";

    /** Empty unless {@code report} is decided with no metric: then why, and the claim that starts the fix. */
    public static Optional<NoResultRetry> of(String commit, ExperimentReport report, FollowUp where) {
        if (!report.getDecided() || report.getHasMetric()) {
            return Optional.empty();
        }
        Experiment e = Records.experiment(report.getExperiment());
        List<Result> results = Records.results(report.getResultsList());
        String reason = reason(report, results);
        String workspace = NewWorkspace.beside("fix-" + CommitId.abbreviate(commit));
        // the parent, not the commit: claiming from a commit that measured nothing would build on it
        String from = e.getParent().isEmpty() ? "" : " --from " + CommitId.abbreviate(e.getParent());
        String command = where.command("claim --direction " + Shell.quote(e.getDirection()) + from
                + " --workspace " + workspace);
        String resultsCommand = where.command("results --commit " + CommitId.abbreviate(commit));
        String why = switch (reason) {
            case CRASHED -> "its runs crashed (each one's last lines: `" + resultsCommand + "`): fix the change";
            case TIMED_OUT -> "its runs were killed at the seed's timeout (`" + resultsCommand + "`): make the change "
                    + "run within it";
            case REFUSED -> "runners refused to run it: it breaks the seed's policy, the reason names what "
                    + "(`" + resultsCommand + "`): change only the seed's editable files";
            case NOT_FETCHED -> "no runner could fetch it, and its evaluations were given up: keep a node of "
                    + "yours running (`" + where.command("node") + "`) while it is evaluated";
            default -> "no run of it reported a metric (`" + resultsCommand + "`)";
        };
        String line = "no OK result, so nothing to publish: " + why + "; then claim again from its parent "
                + CommitId.abbreviate(e.getParent()) + " (a decided commit is not evaluated again), redo the change "
                + "in the new workspace and submit it: " + command + throttled(report);
        return Optional.of(new NoResultRetry(reason, command, line));
    }

    /**
     * {@code report} as a waiter with key {@code waiter} acts on it: the coordinator reports the
     * throttle of the experiment's proposer, which binds a retry only when the waiter is that
     * proposer. A retry by another key is its own experiment, under its own key's standing; `wait`
     * on someone else's failed commit told the waiter to hold off for the proposer's throttle.
     */
    public static ExperimentReport seenBy(ExperimentReport report, ByteString waiter) {
        if (report.getProposerRefusedForMs() == 0 || Records.experiment(report.getExperiment()).getProposer().equals(waiter)) {
            return report;
        }
        return report.toBuilder().clearProposerRefusedForMs().build();
    }

    /**
     * Seconds until the coordinator takes a new experiment from the commit's proposer again (its
     * ProposerThrottle, after 3 or more failures outnumbering its OK results): the retry's claim
     * runs at once, its submit is refused (forbidden, "proposer throttled") until then. 0: at once.
     */
    public static long afterSeconds(ExperimentReport report) {
        return (report.getProposerRefusedForMs() + 999) / 1000;
    }

    private static String throttled(ExperimentReport report) {
        long s = afterSeconds(report);
        if (s == 0) {
            return "";
        }
        return "; its proposer's commits failed more often than they ran OK, so the coordinator takes no new experiment "
                + "from its key for " + s + " s more (until "
                + Instant.ofEpochMilli(System.currentTimeMillis() + report.getProposerRefusedForMs())
                        .truncatedTo(ChronoUnit.SECONDS)
                + "): the claim runs now, its submit goes through after that (renew the lease if it would end first)";
    }

    /**
     * Where the new workspace goes: beside the git checkout this runs in (`wait` is most often run
     * in the workspace of the commit that failed, and a checkout inside it would nest in its
     * repository), else in the working directory; absolute, so the command runs as printed anywhere.
     */
    private static String reason(ExperimentReport report, List<Result> results) {
        if (!report.getGivenUp().isEmpty()) {
            return NOT_FETCHED;
        }
        // the most telling first: a refusal is the change itself, a crash its code, a timeout its speed
        for (Result.Status s : List.of(Result.Status.REFUSED, Result.Status.CRASH, Result.Status.TIMEOUT,
                Result.Status.UNFETCHABLE)) {
            if (results.stream().anyMatch(r -> r.getStatus() == s)) {
                return switch (s) {
                    case REFUSED -> REFUSED;
                    case CRASH -> CRASHED;
                    case TIMEOUT -> TIMED_OUT;
                    default -> NOT_FETCHED;
                };
            }
        }
        return NO_OK_RESULT;
    }
}
