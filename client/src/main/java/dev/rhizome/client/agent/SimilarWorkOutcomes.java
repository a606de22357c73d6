package dev.rhizome.client.agent;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import dev.rhizome.client.agent.ReportReads.ReportRead;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.SimilarWork;
import dev.rhizome.protocol.CommitId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The work a claim's hypothesis resembles, each with what came of it: the experiments it
 * registered and each one's outcome as `rhizome wait` gives it (decided, metric, deltas, adopted)
 * with its papers' titles. "Someone tried this" alone sent an agent to spend a budget finding out
 * whether it had worked; read here, it can build on the result or try something else.
 */
public final class SimilarWorkOutcomes {
    /** Experiments read per similar entry (a unit may register many): the first ones, the rest counted. */
    static final int PER_ENTRY = 3;
    static final int TITLE_CHARS = 200;

    private final List<SimilarWork> similar;
    private final Map<String, ReportRead> reads;
    /** This data directory's key: its own earlier work is listed too, marked as its own. */
    private final ByteString me;

    SimilarWorkOutcomes(List<SimilarWork> similar, Map<String, ReportRead> reads, ByteString me) {
        this.similar = similar;
        this.reads = reads;
        this.me = me;
    }

    public static SimilarWorkOutcomes none() {
        return new SimilarWorkOutcomes(List.of(), Map.of(), ByteString.EMPTY);
    }

    /**
     * Whether the entry is this agent's own (its earlier claim's hypothesis, or its experiment): a
     * second claim listed its own first one at similarity 1.0 as if someone else had tried it. Kept
     * in the list, marked, as `brief` marks `tried` (`mine`): a new session may not remember it.
     */
    boolean mine(SimilarWork s) {
        return !me.isEmpty() && s.getProposer().equals(me);
    }

    /**
     * Asks the coordinator for each entry's first experiments' reports ({@code GET /v1/experiment}).
     * A report that cannot be read is said as such, never fails the claim: its unit is already held.
     */
    public static SimilarWorkOutcomes read(CoordinatorClient client, List<SimilarWork> similar) {
        if (similar == null || similar.isEmpty()) {
            return none();
        }
        List<String> commits = new ArrayList<>();
        similar.forEach(s -> commits.addAll(shown(s)));
        Map<String, ReportRead> reads = ReportReads.read(client, commits);
        return new SimilarWorkOutcomes(List.copyOf(similar), reads, client.identity().publicId().toByteString());
    }

    public boolean isEmpty() {
        return similar.isEmpty();
    }

    public int size() {
        return similar.size();
    }

    /** How many of the entries are this agent's own. */
    public int mineCount() {
        return (int) similar.stream().filter(this::mine).count();
    }

    /** The experiments an entry registered, the coordinator's `commit` alone from one that predates `commits`. */
    static List<String> commits(SimilarWork s) {
        if (s.getCommitsCount() > 0) {
            return s.getCommitsList();
        }
        return s.getCommit().isEmpty() ? List.of() : List.of(s.getCommit());
    }

    private static List<String> shown(SimilarWork s) {
        List<String> all = commits(s);
        return all.subList(0, Math.min(PER_ENTRY, all.size()));
    }

    /**
     * How many of the experiments shown were decided and adopted, and whose they are: "3 experiment(s)
     * of others, 2 decided, 1 adopted". It said "of theirs" of the agent's own earlier work too, which
     * the same line counts as "your own".
     */
    public String tally() {
        Set<String> own = new LinkedHashSet<>();
        Set<String> others = new LinkedHashSet<>();
        for (SimilarWork s : similar) {
            (mine(s) ? own : others).addAll(shown(s));
        }
        others.removeAll(own);
        int decided = 0;
        int adopted = 0;
        for (ReportRead r : reads.values()) {
            if (r.report() != null && r.report().getDecided()) {
                decided++;
            }
            if (r.report() != null && r.report().getAdopted()) {
                adopted++;
            }
        }
        String whose = own.isEmpty() && others.isEmpty() ? "" : own.isEmpty() ? " of others"
                : others.isEmpty() ? " of your own"
                : " (" + others.size() + " of others, " + own.size() + " your own)";
        return reads.size() + " experiment(s)" + whose + ", " + decided + " decided, " + adopted + " adopted";
    }

    /** The {@code similar} array of `claim --json` and `brief --json`. */
    public JsonArray json(int textChars) {
        JsonArray out = new JsonArray();
        for (SimilarWork s : similar) {
            JsonObject so = Untrusted.json(s.getKind(), s.getText(), textChars);
            so.addProperty("kind", s.getKind());
            List<String> commits = commits(s);
            so.addProperty("commit", commits.isEmpty() ? null : commits.get(0));
            so.addProperty("similarity", s.getSimilarity());
            so.addProperty("mine", mine(s));
            JsonArray all = new JsonArray();
            commits.forEach(all::add);
            so.add("commits", all);
            JsonArray experiments = new JsonArray();
            for (String commit : shown(s)) {
                ReportRead r = reads.get(commit);
                JsonObject eo = new JsonObject();
                eo.addProperty("commit", commit);
                eo.add("outcome", r.report() == null ? null : Outcome.json(commit, r.report()));
                JsonArray titles = new JsonArray();
                if (r.report() != null) {
                    Records.papers(r.report().getPapersList())
                            .forEach(p -> titles.add(Untrusted.line(p.paper().getTitle(), TITLE_CHARS)));
                }
                eo.add("paper_titles", titles);
                eo.addProperty("unread", r.unread());
                experiments.add(eo);
            }
            so.add("experiments", experiments);
            so.addProperty("experiments_left_out", commits.size() - experiments.size());
            out.add(so);
        }
        return out;
    }

    /**
     * The brief's section on similar work, each entry's text fenced and followed by its outcomes;
     * the `rhizome wait` for those left out names {@code where}.
     */
    public String text(int textChars, FollowUp where) {
        StringBuilder t = new StringBuilder();
        for (SimilarWork s : similar) {
            List<String> commits = commits(s);
            t.append(String.format(Locale.ROOT, "- %s%s%s, similarity %.2f:%n", s.getKind(),
                    commits.isEmpty() ? "" : " " + CommitId.abbreviate(commits.get(0)), mine(s) ? " (yours)" : "",
                    s.getSimilarity()));
            t.append(Untrusted.fence(s.getKind(), s.getText(), textChars));
            if (commits.isEmpty()) {
                t.append("  What came of it: no experiment registered yet (still being worked on, given up, or older "
                        + "than the direction's newest experiments).\n");
                continue;
            }
            t.append("  What came of it:\n");
            for (String commit : shown(s)) {
                ReportRead r = reads.get(commit);
                if (r.report() == null) {
                    t.append("  - ").append(CommitId.abbreviate(commit)).append(": ").append(r.unread()).append('\n');
                    continue;
                }
                t.append("  - ").append(Outcome.text(commit, r.report())).append('\n');
                for (Records.SignedPaper p : Records.papers(r.report().getPapersList())) {
                    t.append("    paper ").append(p.id(), 0, Math.min(12, p.id().length())).append(", titled:\n");
                    t.append(Untrusted.fence("paper title", p.paper().getTitle(), TITLE_CHARS));
                }
            }
            if (commits.size() > PER_ENTRY) {
                t.append("  - and ").append(commits.size() - PER_ENTRY).append(" more: `")
                        .append(where.command("wait --commit C --timeout 0")).append("`\n");
            }
        }
        return t.toString();
    }
}
