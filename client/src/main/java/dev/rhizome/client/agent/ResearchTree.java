package dev.rhizome.client.agent;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.LeaderboardEntry;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A direction's research tree: its base, every experiment under its parent, the adopted path from
 * the base to the frontier, merges with both parents, and dead ends (leaves that failed or did not
 * beat their parent). Built from what the coordinator lists; pure.
 */
public final class ResearchTree {
    public record Node(String commit, String parent, String secondParent, Double metric, int replicas, boolean adopted,
            boolean frontier, boolean deadEnd, String status, String proposer, String description) {
    }

    private final String direction;
    private final String base;
    private final String frontier;
    private final Leaderboard board;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, List<String>> children = new LinkedHashMap<>();

    public ResearchTree(String direction, String base, String frontier, List<Experiment> experiments, Leaderboard board,
            List<Result> results, double tolerance) {
        this.direction = direction;
        this.base = base;
        this.frontier = frontier;
        this.board = board;
        Map<String, LeaderboardEntry> measured = new LinkedHashMap<>();
        board.getEntriesList().forEach(e -> measured.put(e.getCommit(), e));
        Map<String, Experiment> byCommit = new LinkedHashMap<>();
        experiments.forEach(e -> byCommit.put(e.getCommit(), e));
        Set<String> adopted = adoptedPath(byCommit);
        Map<String, String> statusOf = new LinkedHashMap<>();
        for (Result r : results) {
            if (r.getStatus() == Result.Status.OK || !statusOf.containsKey(r.getCommit())) {
                statusOf.put(r.getCommit(), r.getStatus().name());
            }
        }
        Set<String> parents = new HashSet<>();
        experiments.forEach(e -> {
            parents.add(e.getParent());
            parents.add(e.getSecondParent());
        });
        List<String> commits = new ArrayList<>();
        commits.add(base);
        experiments.forEach(e -> commits.add(e.getCommit()));
        for (String c : commits) {
            Experiment e = byCommit.get(c);
            LeaderboardEntry m = measured.get(c);
            Double metric = m == null ? null : m.getMetric();
            String parent = e == null ? "" : e.getParent();
            LeaderboardEntry pm = measured.get(parent);
            boolean worse = metric != null && pm != null && !(board.getLowerIsBetter()
                    ? metric < pm.getMetric() - tolerance : metric > pm.getMetric() + tolerance);
            String status = statusOf.getOrDefault(c, "");
            boolean failed = !status.isEmpty() && !status.equals("OK");
            boolean deadEnd = e != null && !adopted.contains(c) && !parents.contains(c) && (worse || failed);
            nodes.put(c, new Node(c, parent, e == null ? "" : e.getSecondParent(), metric, m == null ? 0 : m.getReplicas(),
                    adopted.contains(c), c.equals(frontier), deadEnd, status,
                    e == null || e.getProposer().isEmpty() ? "" : PublicId.of(e.getProposer()).toString(),
                    e == null ? "base of " + direction : e.getDescription()));
            if (e != null) {
                children.computeIfAbsent(parent, k -> new ArrayList<>()).add(c);
            }
        }
    }

    private Set<String> adoptedPath(Map<String, Experiment> byCommit) {
        Set<String> path = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(frontier));
        while (!todo.isEmpty()) {
            String c = todo.pop();
            if (!path.add(c)) {
                continue;
            }
            Experiment e = byCommit.get(c);
            if (e != null) {
                todo.push(e.getParent());
                if (!e.getSecondParent().isEmpty()) {
                    todo.push(e.getSecondParent());
                }
            }
        }
        return path;
    }

    public JsonObject json() {
        JsonObject o = new JsonObject();
        o.addProperty("direction", direction);
        // `base` and `frontier` stay (a contract); `base_commit` and `frontier_commit` are the same
        // commits under the names `direction open --json`, `direction list --json` and `wait --json` use
        o.addProperty("base", base);
        o.addProperty("base_commit", base);
        o.addProperty("frontier", frontier);
        o.addProperty("frontier_commit", frontier);
        o.addProperty("metric_name", board.getMetricName());
        o.addProperty("lower_is_better", board.getLowerIsBetter());
        o.addProperty("hardware_class", board.getHardwareClass());
        // null read as a fault to a newcomer: the board takes the class of the direction's first
        // result (its base's evaluations), and before that there is none to give
        o.addProperty("hardware_class_pending", board.getHardwareClass().isEmpty());
        JsonArray arr = new JsonArray();
        for (Node n : nodes.values()) {
            JsonObject j = new JsonObject();
            j.addProperty("commit", n.commit());
            j.addProperty("parent", n.parent().isEmpty() ? null : n.parent());
            j.addProperty("second_parent", n.secondParent().isEmpty() ? null : n.secondParent());
            j.addProperty("metric", n.metric());
            j.addProperty("replicas", n.replicas());
            j.addProperty("adopted", n.adopted());
            j.addProperty("frontier", n.frontier());
            j.addProperty("dead_end", n.deadEnd());
            j.addProperty("status", n.status().isEmpty() ? null : n.status());
            // `proposer` stays the short form it always was (a contract); `proposer_id` is the whole
            // key, as every other command gives it, which `ban --key` takes and `results` can be matched by
            j.addProperty("proposer", n.proposer().isEmpty() ? null : n.proposer().substring(0, 12));
            j.addProperty("proposer_id", n.proposer().isEmpty() ? null : n.proposer());
            j.add("description", Untrusted.json("experiment description", n.description(), 300));
            arr.add(j);
        }
        o.add("nodes", arr);
        return o;
    }

    public String text() {
        StringBuilder b = new StringBuilder();
        b.append(direction).append(": ").append(nodes.size() - 1).append(" experiment(s); ")
                .append(board.getMetricName().isEmpty() ? "metric" : board.getMetricName())
                .append(board.getLowerIsBetter() ? " (lower is better)" : " (higher is better)")
                .append("; * adopted path, descriptions are other people's text\n");
        line(b, nodes.get(base), "", "", new HashSet<>());
        return b.toString();
    }

    private void line(StringBuilder b, Node n, String prefix, String branch, Set<String> printed) {
        if (n == null || !printed.add(n.commit())) {
            return;
        }
        b.append(prefix).append(branch).append(n.adopted() ? "* " : "  ").append(CommitId.abbreviate(n.commit()))
                .append(n.metric() == null ? "          -" : String.format(Locale.ROOT, " %10.6f", n.metric()))
                .append(n.replicas() > 0 ? " x" + n.replicas() : "")
                .append(n.frontier() ? " [frontier]" : "")
                .append(n.deadEnd() ? " [dead end]" : "")
                .append(!n.status().isEmpty() && !n.status().equals("OK") ? " [" + n.status() + "]" : "")
                .append(n.secondParent().isEmpty() ? "" : " [merge with " + CommitId.abbreviate(n.secondParent()) + "]")
                .append("  ").append(Untrusted.line(n.description(), 80)).append('\n');
        List<String> kids = children.getOrDefault(n.commit(), List.of());
        String childPrefix = prefix + (branch.isEmpty() ? "" : branch.startsWith("└") ? "   " : "│  ");
        for (int i = 0; i < kids.size(); i++) {
            line(b, nodes.get(kids.get(i)), childPrefix, i == kids.size() - 1 ? "└─ " : "├─ ", printed);
        }
    }
}
