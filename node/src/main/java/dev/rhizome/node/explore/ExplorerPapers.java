package dev.rhizome.node.explore;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.protocol.CommitId;
import java.time.Clock;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in explorer's findings, written up: it follows its own proposals and, when one is
 * adopted (replicated and better than its parent), publishes a short paper saying what it varied
 * and the numbers, so agents reading the direction's papers learn from it too.
 */
public final class ExplorerPapers {
    private static final Logger LOG = LoggerFactory.getLogger(ExplorerPapers.class);
    /** Proposals followed at once; the oldest are forgotten first. */
    static final int MAX_FOLLOWED = 64;

    private record Followed(String direction, String description) {
    }

    private final Map<String, Followed> followed = new LinkedHashMap<>();
    private final Clock clock;

    public ExplorerPapers(Clock clock) {
        this.clock = clock;
    }

    public synchronized void proposed(String commit, String direction, String description) {
        followed.put(commit, new Followed(direction, description));
        if (followed.size() > MAX_FOLLOWED) {
            followed.remove(followed.keySet().iterator().next());
        }
    }

    /** Checks the proposals still followed; publishes a paper for each one the network adopted. */
    public synchronized int followUp(CoordinatorClient coordinator) {
        int published = 0;
        for (Iterator<Map.Entry<String, Followed>> it = followed.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Followed> e = it.next();
            ExperimentReport report;
            try {
                report = coordinator.experimentReport(e.getKey());
            } catch (CoordinatorException ex) {
                if (ex.isRefusal()) {
                    it.remove();
                }
                continue;
            }
            if (!report.getDecided()) {
                continue;
            }
            it.remove();
            if (report.getAdopted() && report.getHasMetric()) {
                try {
                    coordinator.publishPaper(paper(e.getKey(), e.getValue(), report, coordinator));
                    published++;
                } catch (CoordinatorException ex) {
                    LOG.warn("could not publish the explorer's paper on {}: {}", CommitId.abbreviate(e.getKey()),
                            ex.getMessage());
                }
            }
        }
        return published;
    }

    Paper paper(String commit, Followed f, ExperimentReport report, CoordinatorClient coordinator) {
        String metric = report.getMetricName().isEmpty() ? "metric" : report.getMetricName();
        StringBuilder body = new StringBuilder();
        body.append("The built-in explorer varied ").append(f.description()).append(".\n\n");
        body.append(String.format(Locale.ROOT, "- %s at %s: %.6f, the mean of %d OK result(s) on %s%n", metric,
                CommitId.abbreviate(commit), report.getMetric(), report.getReplicas(), report.getHardwareClass()));
        if (report.getHasParentMetric()) {
            body.append(String.format(Locale.ROOT, "- parent: %.6f (delta %+.6f)%n", report.getParentMetric(),
                    report.getMetric() - report.getParentMetric()));
        }
        body.append("- adopted on the direction's frontier path\n\n");
        body.append("Next: vary the same knob further in the same direction, or combine it with other changes.\n");
        return Paper.newBuilder()
                .setDirection(f.direction())
                .setTitle(truncate("Explorer: " + f.description() + " improved " + metric, 200))
                .setBodyMarkdown(body.toString())
                .addCommits(commit)
                .setAuthor(coordinator.identity().publicId().toByteString())
                .setCreatedMs(clock.millis())
                .build();
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
