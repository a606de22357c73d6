package dev.rhizome.coordinator.service;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.FiniteMean;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Directions;
import dev.rhizome.coordinator.core.Saturating;
import dev.rhizome.coordinator.store.Experiments;
import dev.rhizome.coordinator.store.HistoryCounts;
import dev.rhizome.coordinator.store.Keyed;
import dev.rhizome.coordinator.store.Reputations;
import dev.rhizome.coordinator.store.Results;
import dev.rhizome.coordinator.core.Sealing;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.OperatorRequeue;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.Printable;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the dashboard at {@code /} shows, as one JSON document ({@code GET /v1/dashboard}):
 * directions with their frontier and whether an operator closed them, their newest results as
 * points, each direction's research tree (the adopted path and the newest experiments), the
 * leaderboards' best entries, volunteers by results, live nodes and recent papers. Read-only; the
 * page renders every string as text, since titles and descriptions are untrusted.
 *
 * <p>Its size and cost are bounded whatever the history: a whole history (every result and every
 * experiment of every direction) made a document of 16 MB built in 6 to 14 s at 10,000 results,
 * polled by every open page every 3 s. The totals say how much is not shown. The document is
 * built once and shared while fresh ({@link SharedViews}), in a read-only transaction.
 */
public final class DashboardView {
    private static final int PAPERS_SHOWN = 20;
    private static final int CREDIT_SHOWN = 20;
    /** Banned keys shown (by id); {@code bans_total} counts them all. */
    private static final int BANS_SHOWN = 50;
    /** Results drawn per direction: the newest. */
    static final int POINTS_SHOWN = 2_000;
    /** Experiments in a direction's tree besides its adopted path: the newest. */
    static final int TREE_SHOWN = 500;
    /** Entries per leaderboard: the best. */
    static final int BOARD_ENTRIES = 20;
    /**
     * Characters of a description, title or reason shown; the rest is cut ("..."). Records may hold
     * 16 KiB descriptions (core.RecordBounds), and the tree shows 500 of them per direction.
     */
    static final int TEXT_SHOWN = 300;
    /**
     * Directions shown, each with its points, tree and board: open ones first, then closed, each
     * in the order opened. Without operators any key may open directions; those opened later
     * can't push the earlier ones off the page, nor grow it without bound.
     */
    public static final int DIRECTIONS_SHOWN = 50;

    private final Store store;
    private final Views views;
    private final PeerDirectory peers;
    private final SharedViews shared;
    private final int pointsShown;
    private final int treeShown;

    public DashboardView(Store store, Views views, PeerDirectory peers) {
        this(store, views, peers, POINTS_SHOWN, TREE_SHOWN);
    }

    DashboardView(Store store, Views views, PeerDirectory peers, int pointsShown, int treeShown) {
        this(store, views, peers, pointsShown, treeShown, new SharedViews());
    }

    /** With the shared document's clock given, for tests that hold it still. */
    DashboardView(Store store, Views views, PeerDirectory peers, int pointsShown, int treeShown, SharedViews shared) {
        this.shared = shared;
        this.store = store;
        this.views = views;
        this.peers = peers;
        this.pointsShown = pointsShown;
        this.treeShown = treeShown;
    }

    /** An operator's orders to queue a direction's trials again, as the page lists them: the newest few. */
    private static JsonArray operatorRequeues(List<OperatorRequeue> orders) {
        JsonArray shown = new JsonArray();
        orders.stream().limit(Views.OPERATOR_REQUEUES_SHOWN).forEach(r -> {
            JsonObject x = new JsonObject();
            x.addProperty("commit", r.getCommit());
            x.addProperty("requeued_by", shortId(r.getRequeuedBy()));
            x.addProperty("requeued_ms", r.getRequeuedMs());
            JsonArray seeds = new JsonArray();
            r.getRandomSeedsList().forEach(seed -> seeds.add(Long.toUnsignedString(seed)));
            x.add("random_seeds", seeds);
            x.addProperty("reason", shown(r.getReason()));
            shown.add(x);
        });
        return shown;
    }

    public String json() {
        return shared.get("dashboard", this::build);
    }

    private String build() {
        JsonObject root = store.inReadTransaction(tx -> {
            JsonObject o = new JsonObject();
            JsonArray directions = new JsonArray();
            Map<String, int[]> volunteers = new LinkedHashMap<>();  // runner/class -> OK, all
            List<DirectionRecord> shownDirections = directionsShown(tx);
            // name -> the operator's reason, of the directions shown only
            Map<String, String> closed = tx.closedDirections(shownDirections.stream().map(DirectionRecord::name).toList());
            // operators' orders to queue trials again, newest first, of the directions shown (one read)
            Map<String, List<OperatorRequeue>> requeued = tx.operatorRequeues(
                    shownDirections.stream().map(DirectionRecord::name).toList());
            for (DirectionRecord d : shownDirections) {
                Manifest manifest = tx.seed(d.direction().getSeed()).map(s -> s.record().getManifest())
                        .orElse(Manifest.getDefaultInstance());
                JsonObject dir = new JsonObject();
                dir.addProperty("name", d.name());
                dir.addProperty("seed", d.direction().getSeed());
                dir.addProperty("description", shown(d.direction().getDescription()));
                dir.addProperty("metric_name", manifest.getMetric().getName());
                dir.addProperty("lower_is_better", manifest.getMetric().getLowerIsBetter());
                // A closed direction stays listed with its whole history; the page marks it closed.
                dir.addProperty("closed", closed.containsKey(d.name()));
                if (closed.containsKey(d.name())) {
                    dir.addProperty("closed_reason", shown(closed.get(d.name())));
                }
                dir.add("operator_requeues", operatorRequeues(requeued.getOrDefault(d.name(), List.of())));
                dir.addProperty("operator_requeues_total", requeued.getOrDefault(d.name(), List.of()).size());
                dir.addProperty("base_commit", d.direction().getBaseCommit());
                dir.addProperty("frontier_commit", d.frontier().commit());
                if (d.frontier().metric().isPresent()) {
                    dir.addProperty("frontier_metric", d.frontier().metric().getAsDouble());
                }
                d.baselineMetric().ifPresent(b -> dir.addProperty("baseline_metric", b));
                JsonArray points = new JsonArray();
                List<SignedEnvelope> newest = new ArrayList<>(tx.newestResultEnvelopes(d.name(), pointsShown));
                Collections.reverse(newest);
                // a point whose trial has a replica out shows that it exists, not its metric (Sealing)
                Sealing sealing = Views.sealing(tx, Sealing.resultCommits(newest));
                for (SignedEnvelope e : newest) {
                    Result r = parse(e, Result.parser());
                    JsonObject p = new JsonObject();
                    p.addProperty("time_ms", r.getTimeMs());
                    p.addProperty("commit", r.getCommit());
                    p.addProperty("status", r.getStatus().name());
                    p.addProperty("hardware_class", r.getHardwareClass());
                    p.addProperty("runner", shortId(r.getRunner()));
                    if (sealing.sealed(r)) {
                        p.addProperty("sealed", true);
                    } else if (r.getStatus() == Result.Status.OK) {
                        p.addProperty("metric", r.getMetric());
                    }
                    points.add(p);
                    int[] v = volunteers.computeIfAbsent(shortId(r.getRunner()) + "\u0000"
                            + r.getHardwareClass(), k -> new int[2]);
                    v[0] += r.getStatus() == Result.Status.OK ? 1 : 0;
                    v[1]++;
                }
                dir.add("results", points);
                dir.add("tree", tree(tx, d, dir, treeShown, manifest.getHardwareClass(),
                        Saturating.minus(views.nowMs(), PeerDirectory.NODE_FRESHNESS_MS)));
                directions.add(dir);
            }
            o.add("directions", directions);
            HistoryCounts.DirectionTotals totals = tx.directionTotals();
            o.addProperty("directions_total", totals.directions());
            o.addProperty("directions_open", totals.open());
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
            o.add("credit", credit(tx));
            // a ban was visible nowhere but in the refusals the banned key got
            Map<ByteString, String> banned = tx.bannedKeys();
            JsonArray bans = new JsonArray();
            banned.entrySet().stream().sorted(Map.Entry.comparingByKey(java.util.Comparator.comparing(PublicId::hex)))
                    .limit(BANS_SHOWN).forEach(b -> {
                        JsonObject x = new JsonObject();
                        x.addProperty("key", shortId(b.getKey()));
                        x.addProperty("key_id", PublicId.hex(b.getKey()));
                        x.addProperty("reason", shown(b.getValue()));
                        bans.add(x);
                    });
            o.add("bans", bans);
            o.addProperty("bans_total", banned.size());
            JsonArray papers = new JsonArray();
            // The newest only, read as one bounded page: reading every paper (up to 64 KiB each, and
            // any key may publish) on every build made the document's cost grow with the papers.
            for (var keyed : tx.papers("", Long.MAX_VALUE, PAPERS_SHOWN)) {
                Paper p = parse(keyed.value(), Paper.parser());
                JsonObject x = new JsonObject();
                x.addProperty("title", shown(p.getTitle()));
                x.addProperty("direction", p.getDirection());
                x.addProperty("author", shortId(p.getAuthor()));
                x.addProperty("created_ms", p.getCreatedMs());
                papers.add(x);
            }
            o.add("papers", papers);
            return o;
        });
        // Totals from the views' running sums (read since their last reading), not counted here:
        // counting them took every result and experiment of each direction shown, once a second.
        List<String> names = new ArrayList<>();
        root.getAsJsonArray("directions").forEach(d -> names.add(d.getAsJsonObject().get("name").getAsString()));
        var counts = views.directionCounts(names);
        for (var d : root.getAsJsonArray("directions")) {
            JsonObject dir = d.getAsJsonObject();
            var n = counts.get(dir.get("name").getAsString());
            dir.addProperty("results_total", n.results());
            dir.addProperty("experiments_total", n.experiments());
        }
        JsonArray boards = new JsonArray();
        for (var d : root.getAsJsonArray("directions")) {
            String name = d.getAsJsonObject().get("name").getAsString();
            boards.add(JsonParser.parseString(Json.compact(views.leaderboard(name, "", BOARD_ENTRIES))));
        }
        root.add("leaderboards", boards);
        root.add("nodes", liveNodes());
        // a frontier or baseline stored infinite before FiniteMean stays so: null, not a bare Infinity
        return FiniteJson.nulled(root).toString();
    }

    /**
     * The live nodes (those heard from lately), each with the leases it holds now ({@code leases_held}):
     * a node listed with nothing beside it looked the same busy or idle, and an operator could not
     * tell a volunteer running two units from one that claims nothing. {@code leases_on} says what
     * they are: per direction and unit kind (EXPLORE, EVALUATE) the units held, so that an operator
     * sees which directions the volunteers work on.
     */
    private JsonObject liveNodes() {
        JsonObject nodes = JsonParser.parseString(Json.compact(peers.nodes())).getAsJsonObject();
        if (!nodes.has("peers")) {
            return nodes;
        }
        store.inReadTransaction(tx -> {
            for (var p : nodes.getAsJsonArray("peers")) {
                JsonObject n = p.getAsJsonObject();
                ByteString node = ByteString.copyFrom(Base64.getDecoder().decode(n.get("node").getAsString()));
                n.addProperty("leases_held", tx.leasesHeldBy(node));
                n.add("leases_on", leasesOn(tx.leasesOf(node, LEASES_NAMED)));
            }
            return null;
        });
        return nodes;
    }

    /**
     * Leases named per node: a node holds a few (its slots and their buffers, under the lease caps);
     * past this the count in {@code leases_held} is still whole.
     */
    static final int LEASES_NAMED = 100;

    /** {@code [{direction, kind, units}]}, in the order first held; directions cut as all untrusted text. */
    private static JsonArray leasesOn(List<UnitRecord> leases) {
        Map<String, JsonObject> groups = new LinkedHashMap<>();
        for (UnitRecord u : leases) {
            JsonObject g = groups.computeIfAbsent(u.direction() + "\u0000" + u.kind(), k -> {
                JsonObject o = new JsonObject();
                o.addProperty("direction", shown(u.direction()));
                o.addProperty("kind", u.kind().name());
                o.addProperty("units", 0);
                return o;
            });
            g.addProperty("units", g.get("units").getAsInt() + 1);
        }
        JsonArray out = new JsonArray();
        groups.values().forEach(out::add);
        return out;
    }

    /**
     * A commit's results on one direction: their mean OK metric and the time of the last; a sealed
     * result (its trial has a replica out) counts as there but not in the mean.
     */
    private record Measured(List<Double> ok, long lastMs, boolean sealed) {
    }

    private static Measured measured(Store.Transaction tx, String direction, String commit) {
        List<Double> ok = new ArrayList<>();
        long last = Long.MIN_VALUE;
        Sealing sealing = Views.sealing(tx, List.of(commit));
        boolean sealed = false;
        for (Trials.Entry e : tx.resultEntries(commit)) {
            Result r = e.result();
            if (!r.getDirection().equals(direction)) {
                continue;  // a base commit may be measured on several directions
            }
            if (sealing.sealed(r)) {
                sealed = true;
            } else if (r.getStatus() == Result.Status.OK) {
                ok.add(r.getMetric());
            }
            last = Math.max(last, r.getTimeMs());
        }
        return last == Long.MIN_VALUE ? null : new Measured(ok, last, sealed);
    }

    /**
     * The research tree: the adopted path (from the frontier back through parents to the base)
     * and the newest experiments, each with its parent; a measured commit off that path with no
     * child shown is a dead end. The frontier's steps are the adopted path in order, each at its
     * last result.
     */
    private static JsonArray tree(Store.Transaction tx, DirectionRecord d, JsonObject dir, int treeShown,
            String requiredClass, long seenSince) {
        Map<String, Experiment> shown = new LinkedHashMap<>();
        List<Stored<Experiment>> newest = new ArrayList<>(tx.newestExperiments(d.name(), treeShown));
        Collections.reverse(newest);
        newest.forEach(e -> shown.put(e.record().getCommit(), e.record()));
        List<String> path = new ArrayList<>();
        Set<String> onPath = new HashSet<>();
        for (String c = d.frontier().commit(); c != null && !c.isEmpty() && onPath.add(c); ) {
            path.add(0, c);
            Experiment e = shown.get(c);
            if (e == null) {
                e = tx.experiment(c).map(Stored::record).filter(x -> x.getDirection().equals(d.name())).orElse(null);
                if (e != null) {
                    shown.put(c, e);
                }
            }
            c = e == null ? null : e.getParent();
        }
        Set<String> parents = new HashSet<>();
        shown.values().forEach(e -> parents.add(e.getParent()));
        Map<String, Measured> measured = new HashMap<>();
        for (String c : onPath) {
            measured.put(c, measured(tx, d.name(), c));
        }
        JsonArray steps = new JsonArray();
        for (String c : path) {
            Measured m = measured.get(c);
            if (m != null && !m.ok().isEmpty()) {
                JsonObject s = new JsonObject();
                s.addProperty("commit", c);
                s.addProperty("time_ms", m.lastMs());
                s.addProperty("metric", FiniteMean.of(m.ok().stream().mapToDouble(Double::doubleValue)).orElse(0));
                steps.add(s);
            }
        }
        dir.add("frontier_steps", steps);
        JsonArray nodes = new JsonArray();
        for (Experiment e : shown.values()) {
            // a path commit was read above, measured or not (null): not read again
            Measured m = measured.containsKey(e.getCommit()) ? measured.get(e.getCommit())
                    : measured(tx, d.name(), e.getCommit());
            JsonObject n = new JsonObject();
            n.addProperty("commit", e.getCommit());
            n.addProperty("parent", e.getParent());
            n.addProperty("description", shown(e.getDescription()));
            n.addProperty("proposer", shortId(e.getProposer()));
            String state = onPath.contains(e.getCommit()) ? "adopted"
                    : m == null ? "pending"
                    : parents.contains(e.getCommit()) ? "explored" : "dead end";
            n.addProperty("state", state);
            if (m == null) {
                // as its report says (ExperimentReports): queued, none leased, and the only fitting nodes
                // seen lately share the network it was registered from, which its trials are kept off
                int pending = tx.pendingUnitsForCommit(e.getCommit());
                boolean waiting = pending > 0 && pending > tx.leasedUnitsForCommit(e.getCommit())
                        && ExperimentReports.onlyFittingNodesShareTheProposersNetwork(tx, e.getCommit(),
                                requiredClass, seenSince) > 0;
                n.addProperty("waiting_for_independent_runner", waiting);
            }
            if (m != null && !m.ok().isEmpty()) {
                n.addProperty("metric", FiniteMean.of(m.ok().stream().mapToDouble(Double::doubleValue)).orElse(0));
            }
            if (m != null && m.sealed()) {
                n.addProperty("sealed", true);
            }
            nodes.add(n);
        }
        return nodes;
    }

    /**
     * The volunteers with the most credit over the whole history (compute seconds of valid
     * results), read in credit order from the reputations' index: the volunteers table above only
     * counts the results the page shows.
     */
    private static JsonArray credit(Reputations tx) {
        JsonArray credit = new JsonArray();
        for (Keyed<Store.CreditKey, Reputation> k : tx.reputations(Optional.empty(), CREDIT_SHOWN)) {
            Reputation r = k.value();
            JsonObject x = new JsonObject();
            x.addProperty("node", shortId(k.key().runner()));
            x.addProperty("credit_seconds", r.creditMs() / 1000.0);
            x.addProperty("valid", r.valid());
            x.addProperty("invalid", r.invalid());
            x.addProperty("errors", r.errors());
            x.addProperty("trusted", r.trusted());
            credit.add(x);
        }
        return credit;
    }

    /**
     * The first {@link #DIRECTIONS_SHOWN} open directions, then closed ones up to as many in all,
     * each in the order opened: a range of an index each (migration 19), as many rows as shown.
     * The page was built from every direction and every closure, read at each build.
     */
    private static List<DirectionRecord> directionsShown(Directions tx) {
        List<DirectionRecord> shown = new ArrayList<>();
        tx.directions(false, 0, DIRECTIONS_SHOWN).forEach(k -> shown.add(k.value()));
        if (shown.size() < DIRECTIONS_SHOWN) {
            tx.directions(true, 0, DIRECTIONS_SHOWN - shown.size()).forEach(k -> shown.add(k.value()));
        }
        return shown;
    }

    /**
     * Untrusted text as the page shows it: at most {@link #TEXT_SHOWN} characters, {@link Printable}
     * (a bidirectional override stored before the coordinator refused them reorders what is read).
     */
    static String shown(String text) {
        if (text.length() <= TEXT_SHOWN) {
            return Printable.shown(text);
        }
        int end = Character.isHighSurrogate(text.charAt(TEXT_SHOWN - 1)) ? TEXT_SHOWN - 1 : TEXT_SHOWN;
        return Printable.shown(text.substring(0, end)) + "...";
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
