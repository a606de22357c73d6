package dev.rhizome.client.agent;

import dev.rhizome.proto.v1.ExperimentReport;
import java.util.Optional;

/**
 * Why an experiment's evaluations stay queued, as far as a client can tell: "3 queued" for minutes
 * left a newcomer guessing whether anything would ever run them. The coordinator lists the nodes
 * that announced themselves in its freshness window (10 minutes); none there means no volunteer to
 * run anything, some means they are busy or of another hardware class. Pure: the caller reads the
 * count.
 */
public final class QueueReason {
    private QueueReason() {
    }

    /** Whether {@code report} has evaluations no runner holds (worth asking the coordinator for its nodes). */
    public static boolean queued(ExperimentReport report) {
        return !report.getDecided() && report.getPendingUnits() > report.getLeasedUnits();
    }

    /** The reason in words, given the nodes the coordinator listed; empty when nothing is queued. */
    public static Optional<String> of(ExperimentReport report, int nodesListed) {
        if (!queued(report)) {
            return Optional.empty();
        }
        if (nodesListed == 0) {
            return Optional.of("no node has announced itself to the coordinator in the last 10 minutes, so nothing runs "
                    + "queued evaluations: start one with `rhizome node --coordinator URL` (see `rhizome node --help`)");
        }
        String hardware = report.getHardwareClass().isEmpty() ? "" : " (or of another hardware class than "
                + report.getHardwareClass() + ")";
        return Optional.of(nodesListed + " node(s) announced in the last 10 minutes" + (report.getLeasedUnits() > 0
                ? " and the rest wait" : " and none has taken one yet")
                + ": their slots are busy with earlier work" + hardware
                + "; queued evaluations run in the order they were queued, a direction's base before experiments on it");
    }
}
