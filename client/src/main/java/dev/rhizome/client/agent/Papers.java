package dev.rhizome.client.agent;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.coordinator.core.PaperFilter;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.protocol.CommitId;
import java.time.Instant;
import java.util.Set;

/** How a paper is shown to an agent: its title and body fenced as untrusted data, its links plain. */
public final class Papers {
    private Papers() {
    }

    public static JsonObject json(Records.SignedPaper p, int maxBodyChars) {
        Paper paper = p.paper();
        JsonObject o = new JsonObject();
        o.addProperty("id", p.id());
        o.addProperty("direction", paper.getDirection());
        o.addProperty("author", p.author().toString());
        o.addProperty("author_id", p.author().toString());  // named as every other command names a key in hex
        o.addProperty("created_ms", paper.getCreatedMs());
        JsonArray commits = new JsonArray();
        paper.getCommitsList().forEach(commits::add);
        o.add("commits", commits);
        JsonArray cites = new JsonArray();
        paper.getCitesList().forEach(cites::add);
        o.add("cites", cites);
        o.addProperty("untrusted", true);
        o.add("title", Untrusted.json("paper title", paper.getTitle(), 200));
        o.add("body", Untrusted.json("paper body", paper.getBodyMarkdown(), maxBodyChars));
        return o;
    }

    public static String text(Records.SignedPaper p, int maxBodyChars) {
        Paper paper = p.paper();
        StringBuilder b = new StringBuilder();
        b.append("### Paper ").append(p.id(), 0, 12).append(" by ").append(p.author().shortForm()).append(", ")
                .append(Instant.ofEpochMilli(paper.getCreatedMs())).append('\n');
        b.append("commits: ").append(paper.getCommitsCount() == 0 ? "-"
                : String.join(" ", paper.getCommitsList().stream().map(CommitId::abbreviate).toList()));
        if (paper.getCitesCount() > 0) {
            b.append("; cites: ").append(String.join(" ", paper.getCitesList().stream()
                    .map(c -> c.substring(0, Math.min(12, c.length()))).toList()));
        }
        b.append('\n');
        b.append(Untrusted.fence("paper " + p.id().substring(0, 12) + " by " + p.author().shortForm(),
                withHeading(paper.getTitle(), paper.getBodyMarkdown().strip()), maxBodyChars));
        return b.toString();
    }

    /**
     * The paper as markdown under its title; a body that already opens with that title as its
     * heading (the title was taken from it) is not given the heading twice.
     */
    static String withHeading(String title, String body) {
        String first = body.lines().filter(l -> !l.isBlank()).findFirst().orElse("");
        if (first.startsWith("#") && first.replaceFirst("^#+\\s*", "").trim().equals(title.trim())) {
            return body;
        }
        return "# " + title + "\n\n" + body;
    }

    /**
     * Whether the paper mentions every word of {@code query} (case-insensitive) in its title or body:
     * the coordinator's rule for `search` ({@code PaperFilter}), so a check here agrees with its pages.
     */
    public static boolean matches(Paper paper, String query) {
        return PaperFilter.hasWords(paper, PaperFilter.words(query));
    }

    /** Whether the paper is about a commit in {@code commits} (full ids or prefixes of at least 4 digits). */
    public static boolean about(Paper paper, Set<String> commits) {
        return paper.getCommitsList().stream().anyMatch(c -> commits.stream().anyMatch(c::startsWith));
    }
}
