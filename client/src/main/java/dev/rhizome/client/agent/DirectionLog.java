package dev.rhizome.client.agent;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import dev.rhizome.client.agent.ReportReads.ReportRead;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What was tried on a direction, one entry per experiment: its hypothesis (the proposer's
 * description), commit and parent, who proposed it, its outcome as `rhizome wait` gives it (the
 * one word and the whole report) and its papers' titles. An agent read this from `tree --json`
 * and a `wait` per commit before; here one page of the coordinator's listing is one answer, each
 * entry's report read once ({@code GET /v1/experiment}: a page costs its size in requests, a few in
 * flight at once, {@link ReportReads}).
 */
public final class DirectionLog {
    static final int TITLE_CHARS = 200;

    /** One experiment and its report, or why the report could not be read (the entry is still listed). */
    public record Entry(Experiment experiment, ExperimentReport report, String unread) {
        /** The outcome word, or "unknown" when the report could not be read. */
        public String outcome() {
            return report == null ? "unknown" : OutcomeWord.of(report);
        }
    }

    private final List<Entry> entries;
    private final int invalid;

    private DirectionLog(List<Entry> entries, int invalid) {
        this.entries = entries;
        this.invalid = invalid;
    }

    /** The experiments of {@code envelopes} whose proposer's signature verifies, in that order, each with its report. */
    public static DirectionLog read(CoordinatorClient client, List<SignedEnvelope> envelopes) {
        return of(envelopes, ReportReads.read(client, commits(envelopes)));
    }

    /** The commits of {@code envelopes}' experiments whose signature verifies: what {@link #of} needs read. */
    public static List<String> commits(List<SignedEnvelope> envelopes) {
        return Records.experiments(envelopes).stream().map(Experiment::getCommit).toList();
    }

    /** The same with the reports already read ({@code reads} holds every one of {@link #commits}). */
    public static DirectionLog of(List<SignedEnvelope> envelopes, Map<String, ReportRead> reads) {
        List<Experiment> experiments = Records.experiments(envelopes);
        List<Entry> entries = new ArrayList<>();
        for (Experiment e : experiments) {
            ReportRead read = reads.get(e.getCommit());
            entries.add(new Entry(e, read.report(), read.unread()));
        }
        return new DirectionLog(entries, envelopes.size() - experiments.size());
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Listed records whose signature did not verify (not shown: they are evidence of nothing). */
    public int invalidSignatures() {
        return invalid;
    }

    public static JsonObject json(Entry entry, ByteString me, int maxChars) {
        Experiment e = entry.experiment();
        ExperimentReport r = entry.report();
        JsonObject o = new JsonObject();
        o.addProperty("commit", e.getCommit());
        o.addProperty("parent", e.getParent());
        o.addProperty("second_parent", e.getSecondParent().isEmpty() ? null : e.getSecondParent());
        o.addProperty("proposer_id", PublicId.hex(e.getProposer()));
        o.addProperty("mine", Mine.is(e, me));
        o.addProperty("created_ms", e.getCreatedMs());
        // null where the proposer gave none (an empty string is null in every answer)
        o.add("hypothesis", e.getDescription().isEmpty() ? null
                : Untrusted.json("hypothesis of " + CommitId.abbreviate(e.getCommit()), e.getDescription(), maxChars));
        o.addProperty("outcome", entry.outcome());
        o.addProperty("metric", r != null && r.getHasMetric() ? r.getMetric() : null);
        o.addProperty("delta_parent", r != null && r.getHasMetric() && r.getHasParentMetric()
                ? r.getMetric() - r.getParentMetric() : null);
        o.addProperty("delta_frontier", r != null && r.getHasMetric() && r.getHasFrontierMetric()
                ? r.getMetric() - r.getFrontierMetric() : null);
        o.addProperty("reason", r == null ? null : OutcomeWord.reason(r));
        JsonArray titles = new JsonArray();
        if (r != null) {
            Records.papers(r.getPapersList()).forEach(p -> titles.add(Untrusted.line(p.paper().getTitle(), TITLE_CHARS)));
        }
        o.add("paper_titles", titles);
        o.add("report", r == null ? null : Outcome.json(e.getCommit(), r));
        o.addProperty("unread", entry.unread());
        return o;
    }

    /** The entry for a reader: a heading line, the outcome line, the hypothesis and paper titles fenced. */
    public static String text(Entry entry, ByteString me, int maxChars) {
        return text(entry, me, maxChars, null);
    }

    /** The same, with why its evaluations stay queued ({@code queued}, null for none) under the outcome line. */
    public static String text(Entry entry, ByteString me, int maxChars, String queued) {
        Experiment e = entry.experiment();
        ExperimentReport r = entry.report();
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "%s  %-10s parent %s%s, by %s%s, %s%n", CommitId.abbreviate(e.getCommit()),
                entry.outcome().toUpperCase(Locale.ROOT), CommitId.abbreviate(e.getParent()),
                e.getSecondParent().isEmpty() ? "" : " + " + CommitId.abbreviate(e.getSecondParent()),
                PublicId.of(e.getProposer()).shortForm(), Mine.is(e, me) ? " (you)"
                        : Mine.byOwnNodesExplorer(e, me) ? " (your node's built-in explorer)" : "",
                Instant.ofEpochMilli(e.getCreatedMs())));
        if (r == null) {
            t.append("  ").append(entry.unread()).append('\n');
        } else {
            t.append("  ").append(Outcome.text(e.getCommit(), r)).append('\n');
            if (queued != null) {
                t.append("  queued: ").append(queued).append('\n');
            }
            String reason = OutcomeWord.reason(r);
            if (reason != null) {
                t.append("  why: ").append(reason).append('\n');
            }
        }
        t.append(Untrusted.fence("hypothesis", e.getDescription(), maxChars));
        if (r != null) {
            for (Records.SignedPaper p : Records.papers(r.getPapersList())) {
                t.append("  paper ").append(p.id(), 0, Math.min(12, p.id().length())).append(", titled:\n");
                t.append(Untrusted.fence("paper title", p.paper().getTitle(), TITLE_CHARS));
            }
        }
        return t.toString();
    }
}
