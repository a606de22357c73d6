package dev.rhizome.client.agent;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.ExperimentReportList;
import dev.rhizome.proto.v1.Paper;
import java.util.List;
import java.util.Optional;

/**
 * What an earlier `submit` of the same commit already stored at the coordinator, when that run was
 * killed or lost an answer part way: the experiment registered but its paper not published, or the
 * paper published but the unit not closed. Each signed record carries its creation time, so a second
 * run signs different bytes: registering again is refused as another experiment of the commit, and
 * publishing again stores the paper twice. A rerun asks here first and goes on from where the
 * earlier one stopped. Only records equal to what this run would sign, creation time aside, count:
 * anything else (another proposer's experiment, a changed description) is left to the coordinator to
 * judge, as a first submission would be.
 */
final class EarlierSubmission {
    private final Optional<Experiment> experiment;
    private final List<Records.SignedPaper> papers;

    private EarlierSubmission(Optional<Experiment> experiment, List<Records.SignedPaper> papers) {
        this.experiment = experiment;
        this.papers = papers;
    }

    /**
     * What the coordinator holds about {@code commit}: nothing when it is not a registered experiment.
     * Asked through {@code /v1/experiment-reports}, which names an unregistered commit in its
     * {@code unknown}: {@code GET /v1/experiment} answered every first submission's look with 404,
     * a refusal the coordinator logged as a client's error (OwnClientQuietTest). A coordinator older
     * than that route (404 for the route) is asked the old way.
     */
    static EarlierSubmission of(CoordinatorClient client, String commit) throws CoordinatorException {
        ExperimentReport report;
        try {
            ExperimentReportList reports = client.experimentReports(List.of(commit));
            if (reports.getReportsCount() == 0) {
                return new EarlierSubmission(Optional.empty(), List.of());
            }
            report = reports.getReports(0);
        } catch (CoordinatorException e) {
            if (!(e.isRefusal() && e.code() == Error.Code.NOT_FOUND)) {
                throw e;
            }
            try {
                report = client.experimentReport(commit);
            } catch (CoordinatorException older) {
                if (older.code() == Error.Code.NOT_FOUND) {
                    return new EarlierSubmission(Optional.empty(), List.of());
                }
                throw older;
            }
        }
        return of(report);
    }

    /** What {@code report}, the coordinator's report of a registered experiment, holds. */
    static EarlierSubmission of(ExperimentReport report) {
        // only records whose signatures verify: a forged one must not stand in for ours
        return new EarlierSubmission(Records.experiments(List.of(report.getExperiment())).stream().findFirst(),
                Records.papers(report.getPapersList()));
    }

    /** Whether {@code wanted} is already registered, as this run would sign it but for its time. */
    boolean registered(Experiment wanted) {
        return experiment.map(e -> timeless(e).equals(timeless(wanted))).orElse(false);
    }

    /** The id of {@code wanted} if it is already published, as this run would sign it but for its time. */
    Optional<String> paperId(Paper wanted) {
        Paper w = timeless(wanted);
        return papers.stream().filter(p -> timeless(p.paper()).equals(w)).map(Records.SignedPaper::id).findFirst();
    }

    private static Experiment timeless(Experiment e) {
        return e.toBuilder().clearCreatedMs().build();
    }

    private static Paper timeless(Paper p) {
        return p.toBuilder().clearCreatedMs().build();
    }
}
