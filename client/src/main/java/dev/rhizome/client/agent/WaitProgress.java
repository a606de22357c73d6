package dev.rhizome.client.agent;

import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.CommitId;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The progress lines of a wait for an experiment's decision (`wait`, `submit --wait`, `agent`): one
 * each time its results or pending evaluations change, and a "still waiting" line once per
 * {@code stillWaitingEvery} while nothing does, since an evaluation takes minutes and one line at the
 * start with nothing after reads as hung. No I/O and no clock of its own: the caller passes the time,
 * so a test drives it through minutes in an instant.
 */
public final class WaitProgress {
    /** How long a wait goes without a line while nothing changes. */
    public static final Duration STILL_WAITING = Duration.ofSeconds(60);

    private final String commit;
    private final long startedNanos;
    private final long deadlineNanos;
    private final long stillWaitingNanos;
    private String last = "";
    private long saidAt;

    public WaitProgress(String commit, long startedNanos, Duration timeout, Duration stillWaitingEvery) {
        this.commit = commit;
        this.startedNanos = startedNanos;
        this.deadlineNanos = startedNanos + timeout.toNanos();
        this.stillWaitingNanos = stillWaitingEvery.toNanos();
        this.saidAt = startedNanos;
    }

    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** The line to print for {@code report} read at {@code nowNanos}, if any. */
    public Optional<String> line(ExperimentReport report, long nowNanos) {
        return line(report, Optional.empty(), nowNanos);
    }

    /** {@link #line(ExperimentReport, long)}, saying why its evaluations stay queued when that is known. */
    public Optional<String> line(ExperimentReport report, Optional<String> whyQueued, long nowNanos) {
        String state = state(report) + whyQueued.map(w -> "; " + w).orElse("");
        if (!state.equals(last)) {
            last = state;
            saidAt = nowNanos;
            return Optional.of("waiting for " + CommitId.abbreviate(commit) + ": " + state);
        }
        if (nowNanos - saidAt >= stillWaitingNanos && !report.getDecided() && nowNanos < deadlineNanos) {
            saidAt = nowNanos;
            return Optional.of("still waiting for " + CommitId.abbreviate(commit) + " after "
                    + Duration.ofNanos(nowNanos - startedNanos).toSeconds() + " s: " + state + " (up to "
                    + Duration.ofNanos(deadlineNanos - nowNanos).toSeconds()
                    + " s more; Ctrl-C stops waiting, not the experiment)");
        }
        return Optional.empty();
    }

    /**
     * Results and pending evaluations, with the results' statuses: "1 result(s)" alone hid for the
     * rest of a long wait that the first replica had timed out.
     */
    static String state(ExperimentReport report) {
        Map<String, Integer> statuses = new TreeMap<>();
        for (Result r : Records.results(report.getResultsList())) {
            statuses.merge(r.getStatus().name(), 1, Integer::sum);
        }
        StringBuilder b = new StringBuilder().append(report.getResultsCount()).append(" result(s)");
        if (!statuses.isEmpty()) {
            b.append(" (");
            statuses.forEach((status, n) -> b.append(b.charAt(b.length() - 1) == '(' ? "" : ", ").append(n).append(' ')
                    .append(status));
            b.append(')');
        }
        b.append(", ").append(report.getPendingUnits()).append(" evaluation(s) pending");
        if (report.getPendingUnits() > 0) {
            // "3 pending" for minutes did not say whether any runner had one: queued is waiting for a
            // free runner (of the hardware class), leased is running or fetching the commit
            b.append(" (").append(report.getLeasedUnits()).append(" with a runner, ")
                    .append(report.getPendingUnits() - report.getLeasedUnits()).append(" queued)");
        }
        if (report.getHasMetric()) {
            b.append(String.format(Locale.ROOT, ", %s %.6f", report.getMetricName(), report.getMetric()));
        }
        if (report.hasConfirmation() && report.getConfirmation().getState() == Confirmation.State.CONFIRMING) {
            // "0 evaluation(s) pending" while the wait went on read as hung: the frontier's runs at
            // the fresh seeds are pending on the frontier's commit, not on this one
            Confirmation c = report.getConfirmation();
            b.append("; passed at the trial seeds, confirming at fresh seeds ").append(c.getRandomSeedsList())
                    .append(" against the frontier ").append(CommitId.abbreviate(c.getFrontier()))
                    .append(" (its runs and the frontier's there decide)");
        }
        return b.toString();
    }
}
