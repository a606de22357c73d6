package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ComparisonClasses;
import dev.rhizome.coordinator.core.HardwareClasses;
import dev.rhizome.coordinator.core.PeerListing;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.SpotChecks;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Nodes: their announcements (endpoint, network, the commits each holds) and who is seen where,
 * for one transaction. Peers for a commit are asked on every fetch, so they are kept across
 * transactions where one process owns the database, until an announcement changes them.
 */
final class NodeRows implements Nodes {
    private final Queries q;
    private final OwnedReads owned;
    private boolean wrotePeers;

    NodeRows(TransactionScope scope) {
        this.q = scope.queries;
        this.owned = scope.owned;
    }

    @Override
    public boolean announce(NodeAnnouncement a, String network, long nowMs) {
        byte[] node = a.getNode().toByteArray();
        if (q.update("INSERT INTO nodes (node, host, port, hardware_class, last_seen_ms, network, signed_ms, paused, "
                        + "not_claiming) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        + "ON CONFLICT (node) DO UPDATE SET host = excluded.host, port = excluded.port, "
                        + "hardware_class = excluded.hardware_class, last_seen_ms = excluded.last_seen_ms, "
                        + "network = excluded.network, signed_ms = excluded.signed_ms, paused = excluded.paused, "
                        + "not_claiming = excluded.not_claiming "
                        + "WHERE nodes.signed_ms IS NULL OR nodes.signed_ms < excluded.signed_ms",
                node, a.getHost(), a.getPort(), a.getHardwareClass(), nowMs, network, a.getTimeMs(),
                a.getPaused() ? 1 : 0, a.getNotClaiming()) == 0) {
            return false;
        }
        owned.peers.clear();
        wrotePeers = true;
        // A node announces everything it holds every heartbeat (10 s), nearly all of it the same as
        // last time: the rows are changed by difference, not deleted and written again. Rewriting
        // them all dirtied a page of node_commits' key (random commit ids) per row or so, and those
        // pages went through the group commit, the log and the checkpoint on every heartbeat
        // (performance.md, the fourteenth pass); reading the node's rows is one index range.
        Set<String> added = new LinkedHashSet<>(a.getCommitsList());
        List<Object[]> dropped = new ArrayList<>();
        for (String commit : q.list("SELECT commit_id FROM node_commits WHERE node = ?", rs -> rs.getString(1),
                (Object) node)) {
            if (!added.remove(commit)) {
                dropped.add(new Object[] {commit, node});
            }
        }
        q.batch("DELETE FROM node_commits WHERE commit_id = ? AND node = ?", dropped);
        List<Object[]> rows = new ArrayList<>(added.size());
        for (String commit : added) {
            rows.add(new Object[] {commit, node});
        }
        q.batch("INSERT INTO node_commits (commit_id, node) VALUES (?, ?) ON CONFLICT DO NOTHING", rows);
        return true;
    }

    @Override
    public List<PeerEndpoint> peers(String commit, int limit) {
        if (wrotePeers) {
            return readPeers(commit, limit);
        }
        String key = limit + " " + commit;
        List<PeerEndpoint> hit = owned.peers.get(key);
        if (hit == null) {
            hit = List.copyOf(readPeers(commit, limit));
            owned.peers.put(key, hit);
        }
        return hit;
    }

    private List<PeerEndpoint> readPeers(String commit, int limit) {
        if (commit.isEmpty()) {
            return PeerListing.choose(offered("nodes n", "1 = 1", limit), limit);
        }
        if (owned.enabled()) {
            // The ranking's window functions cost SQLite their sorters and temporary tables on every
            // run, however few rows come (the largest cost of a claim with holders on the committer,
            // performance.md's twelfth pass; of one without, the eleventh). PeerListing.choose ranks
            // any superset of the windows' cut alike, so up to FEW_HOLDERS holders are read plainly
            // (one seek, no sorter) and ranked here; more, and the windows cut them in SQL, so a
            // flood of fresh keys holding a commit still costs a bounded answer. Not on a shared
            // store, where the plain read would be a round trip of its own before the ranking.
            List<PeerListing.Offered> holders = holders(commit, FEW_HOLDERS + 1);
            if (holders.size() <= FEW_HOLDERS) {
                return PeerListing.choose(holders, limit);
            }
        }
        return PeerListing.choose(offered("node_commits k JOIN nodes n ON n.node = k.node", "k.commit_id = ?", limit,
                commit), limit);
    }

    /** Holders of a commit read without the ranking's windows, up to which {@link #readPeers} ranks them in Java. */
    static final int FEW_HOLDERS = 64;

    /** Up to {@code most} nodes holding {@code commit}, unranked, with what {@link PeerListing#choose} ranks by. */
    private List<PeerListing.Offered> holders(String commit, int most) {
        return q.list("SELECT n.node, n.host, n.port, n.hardware_class, n.network, "
                        + "CASE WHEN r.valid_results > 0 THEN 1 ELSE 0 END, n.last_seen_ms, n.paused, n.not_claiming "
                        + "FROM node_commits k JOIN nodes n ON n.node = k.node LEFT JOIN reputations r ON r.runner = n.node "
                        + "WHERE k.commit_id = ? LIMIT ?",
                NodeRows::offered, commit, most);
    }

    @Override
    public List<PeerEndpoint> nodesSeenSince(long sinceMs, int limit) {
        return q.list("SELECT node, host, port, hardware_class, paused, not_claiming FROM nodes WHERE last_seen_ms >= ? "
                        + "ORDER BY last_seen_ms DESC LIMIT ?",
                rs -> PeerEndpoint.newBuilder().setNode(ByteString.copyFrom(rs.getBytes(1)))
                        .setHost(rs.getString(2)).setPort(rs.getInt(3)).setHardwareClass(rs.getString(4))
                        .setPaused(rs.getInt(5) == 1).setNotClaiming(rs.getString(6)).build(),
                sinceMs, limit);
    }

    @Override
    public List<PeerEndpoint> nodesListedSince(long sinceMs, int limit) {
        return PeerListing.choose(offered("nodes n", "n.last_seen_ms >= ?", limit, sinceMs), limit);
    }

    /**
     * What {@link PeerListing#choose} picks from, read in one query: each network's first
     * {@link PeerListing#perNetwork} nodes (standing first, then newest), and of those up to
     * {@code limit} with standing and {@code limit} without, every network's first before any
     * one's second, newest first within each (as {@link PeerListing#choose} takes them). A flood
     * of fresh keys is cut to its networks' places here, so the answer's size does not grow with it.
     */
    private List<PeerListing.Offered> offered(String from, String where, int limit, Object... whereParams) {
        List<Object> params = new ArrayList<>(List.of(whereParams));
        params.add(PeerListing.perNetwork(limit));
        params.add(limit);
        return q.list("SELECT node, host, port, hardware_class, network, standing, last_seen_ms, paused, not_claiming FROM ("
                        + "SELECT c.node, c.host, c.port, c.hardware_class, c.network, c.standing, c.last_seen_ms, "
                        + "c.paused, c.not_claiming, "
                        + "ROW_NUMBER() OVER (PARTITION BY c.standing ORDER BY c.place, c.last_seen_ms DESC, c.node) AS class_place "
                        + "FROM (SELECT n.node, n.host, n.port, n.hardware_class, n.network, n.last_seen_ms, "
                        + "n.paused, n.not_claiming, "
                        + "CASE WHEN r.valid_results > 0 THEN 1 ELSE 0 END AS standing, "
                        + "ROW_NUMBER() OVER (PARTITION BY n.network, CASE WHEN n.network = '' THEN n.node END "
                        + "ORDER BY CASE WHEN r.valid_results > 0 THEN 1 ELSE 0 END DESC, n.last_seen_ms DESC, n.node) "
                        + "AS place FROM " + from + " LEFT JOIN reputations r ON r.runner = n.node WHERE " + where
                        + ") c WHERE c.place <= ?) d WHERE class_place <= ?",
                NodeRows::offered, params.toArray());
    }

    /** A row of node, host, port, hardware class, network, standing (0 or 1), last seen, paused, not claiming. */
    private static PeerListing.Offered offered(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new PeerListing.Offered(PeerEndpoint.newBuilder().setNode(ByteString.copyFrom(rs.getBytes(1)))
                .setHost(rs.getString(2)).setPort(rs.getInt(3)).setHardwareClass(rs.getString(4))
                .setPaused(rs.getInt(8) == 1).setNotClaiming(rs.getString(9)).build(),
                rs.getString(5), rs.getInt(6) == 1, rs.getLong(7));
    }

    @Override
    public boolean nodeSeenOutside(String network, long sinceMs) {
        return q.count("SELECT COUNT(*) FROM (SELECT 1 FROM nodes WHERE last_seen_ms >= ? AND network <> ? AND paused = 0 "
                        + "LIMIT 1) n",
                sinceMs, network) > 0;
    }

    /**
     * {@link HardwareClasses#fits} in SQL, for {@code column}: "" where every class fits ("any" or
     * nothing), else a condition on the prefix that takes {@code requiredClass} as its one
     * parameter. substr, not LIKE: a class's '%' or '_' is no pattern.
     */
    private static String fits(String requiredClass, String column) {
        if (requiredClass.isEmpty() || HardwareClasses.ANY.equals(requiredClass)) {
            return "";
        }
        // substr counts characters, String.length UTF-16 units
        return " AND substr(" + column + ", 1, " + requiredClass.codePointCount(0, requiredClass.length()) + ") = ?";
    }

    @Override
    public List<ComparisonClasses.Seen> classesWithStandingSeen(String requiredClass, long sinceMs, int limit) {
        String fits = fits(requiredClass, "n.hardware_class");
        List<Object> params = new ArrayList<>();
        params.add(sinceMs);
        if (!fits.isEmpty()) {
            params.add(requiredClass);
        }
        params.add(limit);
        return q.list("SELECT n.hardware_class, n.network, COUNT(*) FROM nodes n "
                        + "JOIN reputations s ON s.runner = n.node WHERE n.last_seen_ms >= ?" + fits
                        + " AND n.paused = 0 AND s.valid_results > 0 GROUP BY n.hardware_class, n.network LIMIT ?",
                rs -> new ComparisonClasses.Seen(rs.getString(1), rs.getString(2),
                        (int) Math.min(Integer.MAX_VALUE, rs.getLong(3))), params.toArray());
    }

    @Override
    public FittingNodes fittingNodesSeen(String requiredClass, String network, long sinceMs) {
        String fits = fits(requiredClass, "hardware_class");
        List<Object> on = new ArrayList<>(List.of(sinceMs, network));
        List<Object> off = new ArrayList<>(List.of(sinceMs, network));
        if (!fits.isEmpty()) {
            on.add(requiredClass);
            off.add(requiredClass);
        }
        on.add(FittingNodes.COUNTED);
        int onNetwork = (int) q.count("SELECT COUNT(*) FROM (SELECT 1 FROM nodes WHERE last_seen_ms >= ? AND network = ? "
                + "AND paused = 0"
                + fits + " LIMIT ?) n", on.toArray());
        boolean elsewhere = q.count("SELECT COUNT(*) FROM (SELECT 1 FROM nodes WHERE last_seen_ms >= ? AND network <> ? "
                + "AND paused = 0"
                + fits + " LIMIT 1) n", off.toArray()) > 0;
        return new FittingNodes(onNetwork, elsewhere);
    }

    @Override
    public List<SpotChecks.Candidate> spotCheckCandidates(Collection<ByteString> excluded, String requiredClass,
            long sinceMs, long networksSinceMs, int limit) {
        // One row per network (each node with none known is a network of its own), its key with the
        // most valid results; keys without any never take part, so fresh keys cost an attacker nothing
        // and win it nothing. Networks are taken by standing, not by recency, so a burst of
        // announcements cannot push established ones out of the limit. The excluded keys' networks
        // are those they announced from and those any of their leases (explorations too: a
        // proposer's) were claimed from: a key may announce from one network and claim from
        // another, and only the claims' are where its work came from. The networks its results were
        // sent from count too, and those its experiments were registered from (round 28): a lease's
        // network says where it was claimed, not where the run was sent from, and a proposer that
        // registers its own commit leased nothing. A key that claimed, reported or proposed from
        // one of those networks is left out too, whatever network it announces from. Leases,
        // results and experiments count from networksSinceMs on (SpotChecks.NETWORKS_REMEMBERED,
        // migration 31): a volunteer who moved house is no longer its old network's for ever.
        // No node is left out for the host it announced (round 31): a host is the node's own word,
        // and a liar announcing the hosts of the keys with standing emptied the draw of a young
        // network. Sharing is judged by what the coordinator saw: the networks above, each a
        // private address whole and a public one's /24, so a key announcing from the runner's
        // address is still left out.
        List<byte[]> keys = new ArrayList<>();
        excluded.forEach(k -> keys.add(k.toByteArray()));
        if (keys.isEmpty()) {
            keys.add(new byte[0]);  // no key: an IN list may not be empty
        }
        String in = "(" + String.join(", ", Collections.nCopies(keys.size(), "?")) + ")";
        // One read of all four: the announcements' networks, the leases' addresses (a network
        // depends on the address's reach, ReplicaNetworks.of), the results' and experiments' networks.
        List<Object> theirParams = new ArrayList<>(keys);
        theirParams.addAll(keys);
        theirParams.add(networksSinceMs);
        theirParams.addAll(keys);
        theirParams.add(networksSinceMs);
        theirParams.addAll(keys);
        theirParams.add(networksSinceMs);
        Set<String> theirs = new LinkedHashSet<>(q.list("SELECT network, 0 FROM nodes WHERE node IN " + in
                        + " AND network <> '' UNION SELECT address, 1 FROM unit_leases WHERE holder IN " + in
                        + " AND leased_ms >= ? AND address <> '' UNION SELECT network, 0 FROM results WHERE runner IN "
                        + in + " AND network_ms >= ? AND network <> '' UNION SELECT network, 0 FROM experiments "
                        + "WHERE proposer IN " + in + " AND network_ms >= ? AND network <> ''",
                rs -> rs.getInt(2) == 1 ? ReplicaNetworks.of(rs.getString(1)) : rs.getString(1), theirParams.toArray()));
        theirs.remove("");
        if (theirs.isEmpty()) {
            theirs.add("");  // matches no network: '' is never compared (an IN list may not be empty)
        }
        String networks = "(" + String.join(", ", Collections.nCopies(theirs.size(), "?")) + ")";
        // Only keys whose announced class fits the unit's (round 31): a key that cannot claim it
        // took a place of the draw, and once the hold passed the tie-breaker was anyone's.
        String fits = fits(requiredClass, "n.hardware_class");
        List<Object> params = new ArrayList<>();
        params.add(sinceMs);
        if (!fits.isEmpty()) {
            params.add(requiredClass);
        }
        params.addAll(keys);
        params.addAll(theirs);
        params.add(networksSinceMs);
        params.addAll(theirs);
        params.add(networksSinceMs);
        params.addAll(theirs);
        params.add(networksSinceMs);
        params.addAll(theirs);
        params.add(limit);
        return q.list("SELECT node, network FROM (SELECT n.node, n.network, n.last_seen_ms, "
                        + "s.valid_results, ROW_NUMBER() OVER (PARTITION BY n.network, "
                        + "CASE WHEN n.network = '' THEN n.node END "
                        + "ORDER BY s.valid_results DESC, n.last_seen_ms DESC, n.node) AS place "
                        + "FROM nodes n JOIN reputations s ON s.runner = n.node "
                        + "WHERE n.last_seen_ms >= ?" + fits + " AND n.paused = 0 AND s.valid_results > 0 AND n.node NOT IN " + in
                        + " AND (n.network = '' OR n.network NOT IN " + networks + ")"
                        + " AND NOT EXISTS (SELECT 1 FROM unit_leases m WHERE m.holder = n.node AND m.leased_ms >= ? "
                        + "AND m.network <> '' AND m.network IN " + networks + ")"
                        + " AND NOT EXISTS (SELECT 1 FROM results x WHERE x.runner = n.node AND x.network_ms >= ? "
                        + "AND x.network <> '' AND x.network IN " + networks + ")"
                        + " AND NOT EXISTS (SELECT 1 FROM experiments p WHERE p.proposer = n.node AND p.network_ms >= ? "
                        + "AND p.network <> '' AND p.network IN " + networks + ")) c "
                        + "WHERE place = 1 ORDER BY valid_results DESC, last_seen_ms DESC, node LIMIT ?",
                rs -> new SpotChecks.Candidate(ByteString.copyFrom(rs.getBytes(1)), rs.getString(2)),
                params.toArray());
    }

    @Override
    public Set<ByteString> runnersSeenSince(long sinceMs, int limit) {
        return new LinkedHashSet<>(q.list("SELECT node FROM nodes WHERE last_seen_ms >= ? AND paused = 0 "
                        + "ORDER BY last_seen_ms DESC LIMIT ?",
                rs -> ByteString.copyFrom(rs.getBytes(1)), sinceMs, limit));
    }

    @Override
    public Set<ByteString> runnersWithStandingSeenSince(long sinceMs, int limit) {
        return new LinkedHashSet<>(q.list("SELECT n.node FROM nodes n JOIN reputations r ON r.runner = n.node "
                        + "WHERE n.last_seen_ms >= ? AND n.paused = 0 AND r.valid_results > 0 ORDER BY n.last_seen_ms DESC LIMIT ?",
                rs -> ByteString.copyFrom(rs.getBytes(1)), sinceMs, limit));
    }

    @Override
    public int forgetNodesSeenBefore(long beforeMs, int limit) {
        // Along nodes_by_last_seen (migration 22): one probe when none is that old, as at nearly every sweep.
        List<byte[]> gone = q.list("SELECT node FROM nodes WHERE last_seen_ms < ? ORDER BY last_seen_ms LIMIT ?",
                rs -> rs.getBytes(1), beforeMs, limit);
        for (byte[] node : gone) {
            q.update("DELETE FROM node_commits WHERE node = ?", (Object) node);
            q.update("DELETE FROM nodes WHERE node = ?", (Object) node);
        }
        if (!gone.isEmpty()) {
            owned.peers.clear();
            wrotePeers = true;
        }
        return gone.size();
    }

    @Override
    public Optional<Availability> announcedAvailability(ByteString node) {
        List<Availability> row = q.list("SELECT paused, not_claiming FROM nodes WHERE node = ?",
                rs -> new Availability(rs.getInt(1) == 1, rs.getString(2)), (Object) node.toByteArray());
        return row.stream().findFirst();
    }

    @Override
    public boolean knownNode(ByteString node) {
        return q.count("SELECT COUNT(*) FROM nodes WHERE node = ?", (Object) node.toByteArray()) > 0;
    }
}
