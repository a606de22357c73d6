package dev.rhizome.coordinator.service;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.identity.PublicId;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything the dashboard at {@code /} shows, as one JSON document ({@code GET /v1/dashboard}):
 * directions with their frontier and whether an operator closed them, every result as a point, each direction's research tree, the
 * leaderboards, volunteers by results, live nodes and recent papers. Read-only; the page renders
 * every string as text, since titles and descriptions are untrusted.
 */
public final class DashboardView {
    private static final int PAPERS_SHOWN = 20;

    private final Store store;
    private final Views views;
    private final PeerDirectory peers;

    public DashboardView(Store store, Views views, PeerDirectory peers) {
        this.store = store;
        this.views = views;
        this.peers = peers;
    }

    public String json() {
        JsonObject root = store.inTransaction(tx -> {
            JsonObject o = new JsonObject();
            JsonArray directions = new JsonArray();
            Map<String, int[]> volunteers = new LinkedHashMap<>();  // runner/class -> OK, all
            Map<String, String> closed = tx.closedDirections();  // name -> the operator's reason
            for (DirectionRecord d : tx.directions()) {
                Manifest manifest = tx.seed(d.direction().getSeed()).map(s -> s.record().getManifest())
                        .orElse(Manifest.getDefaultInstance());
                JsonObject dir = new JsonObject();
                dir.addProperty("name", d.name());
                dir.addProperty("seed", d.direction().getSeed());
                dir.addProperty("description", d.direction().getDescription());
                dir.addProperty("metric_name", manifest.getMetric().getName());
                dir.addProperty("lower_is_better", manifest.getMetric().getLowerIsBetter());
                // A closed direction stays listed with its whole history; the page marks it closed.
                dir.addProperty("closed", closed.containsKey(d.name()));
                if (closed.containsKey(d.name())) {
                    dir.addProperty("closed_reason", closed.get(d.name()));
                }
                dir.addProperty("base_commit", d.direction().getBaseCommit());
                dir.addProperty("frontier_commit", d.frontier().commit());
                if (d.frontier().metric().isPresent()) {
                    dir.addProperty("frontier_metric", d.frontier().metric().getAsDouble());
                }
                d.baselineMetric().ifPresent(b -> dir.addProperty("baseline_metric", b));
                JsonArray points = new JsonArray();
                Map<String, Long> lastResultMs = new HashMap<>();
                Map<String, List<Double>> okMetrics = new HashMap<>();
                for (SignedEnvelope e : tx.resultEnvelopes(d.name(), "")) {
                    Result r = parse(e, Result.parser());
                    JsonObject p = new JsonObject();
                    p.addProperty("time_ms", r.getTimeMs());
                    p.addProperty("commit", r.getCommit());
                    p.addProperty("status", r.getStatus().name());
                    p.addProperty("hardware_class", r.getHardwareClass());
                    p.addProperty("runner", shortId(r.getRunner()));
                    if (r.getStatus() == Result.Status.OK) {
                        p.addProperty("metric", r.getMetric());
                        okMetrics.computeIfAbsent(r.getCommit(), c -> new ArrayList<>()).add(r.getMetric());
                    }
                    lastResultMs.merge(r.getCommit(), r.getTimeMs(), Math::max);
                    points.add(p);
                    int[] v = volunteers.computeIfAbsent(shortId(r.getRunner()) + "\u0000"
                            + r.getHardwareClass(), k -> new int[2]);
                    v[0] += r.getStatus() == Result.Status.OK ? 1 : 0;
                    v[1]++;
                }
                dir.add("results", points);
                dir.add("tree", tree(tx.experiments(d.name()), d, lastResultMs, okMetrics, dir));
                directions.add(dir);
            }
            o.add("directions", directions);
            JsonArray vols = new JsonArray();
            volunteers.forEach((k, v) -> {
                JsonObject x = new JsonObject();
                String[] parts = k.split("\u0000", 2);
                x.addProperty("node", parts[0]);
                x.addProperty("hardware_class", parts[1]);
                x.addProperty("ok_results", v[0]);
                x.addProperty("results", v[1]);
                vols.add(x);
            });
            o.add("volunteers", vols);
            JsonArray papers = new JsonArray();
            for (SignedEnvelope e : tx.papers("")) {
                if (papers.size() >= PAPERS_SHOWN) {
                    break;
                }
                Paper p = parse(e, Paper.parser());
                JsonObject x = new JsonObject();
                x.addProperty("title", p.getTitle());
                x.addProperty("direction", p.getDirection());
                x.addProperty("author", shortId(p.getAuthor()));
                x.addProperty("created_ms", p.getCreatedMs());
                papers.add(x);
            }
            o.add("papers", papers);
            return o;
        });
        JsonArray boards = new JsonArray();
        for (var d : root.getAsJsonArray("directions")) {
            String name = d.getAsJsonObject().get("name").getAsString();
            boards.add(JsonParser.parseString(Json.compact(views.leaderboard(name, ""))));
        }
        root.add("leaderboards", boards);
        root.add("nodes", JsonParser.parseString(Json.compact(peers.nodes())));
        return root.toString();
    }

    /**
     * The research tree: every experiment with its parent; the adopted path runs from the
     * frontier back through parents to the base; a measured commit off that path with no children
     * is a dead end. The frontier's steps are the adopted path in order, each at its last result.
     */
    private static JsonArray tree(List<Stored<Experiment>> experiments, DirectionRecord d, Map<String, Long> lastMs,
            Map<String, List<Double>> ok, JsonObject dir) {
        Map<String, Experiment> byCommit = new HashMap<>();
        Set<String> parents = new HashSet<>();
        for (Stored<Experiment> e : experiments) {
            byCommit.put(e.record().getCommit(), e.record());
            parents.add(e.record().getParent());
        }
        List<String> path = new ArrayList<>();
        for (String c = d.frontier().commit(); c != null && !path.contains(c);
                c = byCommit.containsKey(c) ? byCommit.get(c).getParent() : null) {
            path.add(0, c);
        }
        JsonArray steps = new JsonArray();
        for (String c : path) {
            if (ok.containsKey(c) && lastMs.containsKey(c)) {
                JsonObject s = new JsonObject();
                s.addProperty("commit", c);
                s.addProperty("time_ms", lastMs.get(c));
                s.addProperty("metric", ok.get(c).stream().mapToDouble(Double::doubleValue).average().orElse(0));
                steps.add(s);
            }
        }
        dir.add("frontier_steps", steps);
        JsonArray nodes = new JsonArray();
        for (Stored<Experiment> stored : experiments) {
            Experiment e = stored.record();
            JsonObject n = new JsonObject();
            n.addProperty("commit", e.getCommit());
            n.addProperty("parent", e.getParent());
            n.addProperty("description", e.getDescription());
            n.addProperty("proposer", shortId(e.getProposer()));
            String state = path.contains(e.getCommit()) ? "adopted"
                    : !ok.containsKey(e.getCommit()) && !lastMs.containsKey(e.getCommit()) ? "pending"
                    : parents.contains(e.getCommit()) ? "explored" : "dead end";
            n.addProperty("state", state);
            if (ok.containsKey(e.getCommit())) {
                n.addProperty("metric", ok.get(e.getCommit()).stream().mapToDouble(Double::doubleValue).average()
                        .orElse(0));
            }
            nodes.add(n);
        }
        return nodes;
    }

    private static String shortId(com.google.protobuf.ByteString key) {
        String hex = PublicId.hex(key);
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }

    private static <T extends com.google.protobuf.Message> T parse(SignedEnvelope e, com.google.protobuf.Parser<T> p) {
        try {
            return p.parseFrom(e.getPayload());
        } catch (InvalidProtocolBufferException x) {
            throw new IllegalStateException("stored record is corrupt: " + x.getMessage(), x);
        }
    }
}
