package dev.rhizome.coordinator.service;

import static dev.rhizome.coordinator.service.SeedsAndDirections.ack;

import dev.rhizome.coordinator.core.ReplayWindow;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.coordinator.core.RequestRules;
import dev.rhizome.coordinator.store.Nodes;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.PeerList;
import dev.rhizome.protocol.envelope.Verified;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Who holds which commit. The coordinator only introduces peers; bundles travel between them.
 */
public final class PeerDirectory {
    static final int MAX_PEERS_LISTED = 100;
    /** Enough entry points to join the gossip network; a joining node learns the rest by peer exchange. */
    static final int MAX_NODES_LISTED = 64;
    /** Nodes announce every 10 s while they run; one silent this long has most likely left. */
    static final long NODE_FRESHNESS_MS = 10 * 60_000;
    /**
     * A node silent this long is forgotten ({@link Dispatcher#sweep}): keys are free, and the rows
     * of keys that stopped announcing grew for good, within the daily new-node limits. One that
     * comes back announces as a new node (counted again in the daily limits and the nodes ever seen).
     */
    static final long NODE_RETENTION_MS = 7L * 24 * 3600_000;
    /** Nodes forgotten by one sweep at most, so that a backlog never holds the writers long. */
    static final int FORGET_PER_SWEEP = 1_000;

    private final Store store;
    private final Clock clock;
    private final WriteQuotas quotas;
    /**
     * The entry points ranked once and shared ({@link FreshCopy}: for a second, longer where a
     * ranking grows expensive), rebuilt early when a key announces for the first time. Each ask
     * ranked the whole node table (every network's first node before any second), so a client
     * asking in a loop had the coordinator sort it in a loop.
     */
    private final FreshCopy<PeerList> entryPoints;
    private final AtomicLong rankings = new AtomicLong();
    private final LongSupplier nanoTime;
    /** When the shared ranking was last built, on the directory's clock and the process's. */
    private volatile Ranked ranked = new Ranked(0, 0);

    private record Ranked(long atMs, long atNanos) {
    }

    public PeerDirectory(Store store, Clock clock) {
        this(store, clock, WriteQuotas.defaults());
    }

    public PeerDirectory(Store store, Clock clock, WriteQuotas quotas) {
        this(store, clock, quotas, System::nanoTime);
    }

    /** @param nanoTime the clock the shared ranking's age is read on (tests hold it still or move it) */
    PeerDirectory(Store store, Clock clock, WriteQuotas quotas, LongSupplier nanoTime) {
        this.store = store;
        this.clock = clock;
        this.quotas = quotas;
        this.nanoTime = nanoTime;
        this.entryPoints = new FreshCopy<>(nanoTime, SharedPages.WAIT_NANOS);
    }

    public Ack announce(Verified<NodeAnnouncement> request) {
        return announce(request, "");
    }

    /**
     * A key announcing for the first time adds a node row (and up to 10,000 commit rows): keys are
     * free, so new nodes are counted per address and in total; a known node's announcement
     * replaces its rows and counts nothing. The network the announcement came from is kept with
     * the node: spot checks tell nodes apart by it ({@link dev.rhizome.coordinator.core.SpotChecks}).
     *
     * @param origin the sender's address scope, counted by the daily write limits ("" for none); the
     *               announced host may reach no narrower ({@link RequestRules#announcement(NodeAnnouncement, String)})
     */
    public Ack announce(Verified<NodeAnnouncement> request, String origin) {
        NodeAnnouncement a = request.record();
        long now = clock.millis();
        ReplayWindow.check("time_ms", a.getTimeMs(), now);
        RequestRules.announcement(a, origin);
        boolean[] first = new boolean[1];
        boolean[] turned = new boolean[1];
        boolean applied = store.inTransaction(tx -> {
            Optional<Nodes.Availability> before = tx.announcedAvailability(a.getNode());
            first[0] = before.isEmpty();
            turned[0] = before.isPresent() && before.get().paused() != a.getPaused();
            if (first[0]) {
                quotas.charge(tx, WriteQuota.Kind.NEW_NODES, a.getNode(), origin, now);
            }
            return tx.announce(a, ReplicaNetworks.of(origin), now);
        });
        if (applied && (first[0] || turned[0])) {
            // A node that just joined is listed at once (the next joining node dials it), and a node
            // paused or resumed is listed so at once (a waiting client counts it idle or not). Only
            // those: a first announcement is counted in the daily new-node limits, and a pause turns
            // with its volunteer's command, so a known node's announcement (every 10 s) never makes a
            // ranking per ask. Its reason for not claiming is listed with the next ranking (a second).
            entryPoints.changed();
        }
        // A copy of an announcement (or an older one, late) changes nothing, not even when the node
        // was last seen: a captured announcement can't keep a node that stopped listed as live.
        return ack(request.signer().toString(), applied ? "announced " + a.getCommitsCount() + " commit(s)"
                : "an announcement signed at or after time_ms " + a.getTimeMs() + " is already on record; nothing changed");
    }

    /** @param commit a commit id, or empty for every known node */
    public PeerList peers(String commit) {
        if (!commit.isEmpty()) {
            RequestRules.queryCommit("commit", commit);
        }
        return PeerList.newBuilder()
                .addAllPeers(store.inReadTransaction(tx -> tx.peers(commit, MAX_PEERS_LISTED)))
                .build();
    }

    /**
     * Nodes seen recently, a bounded share per network, keys with standing first
     * ({@link dev.rhizome.coordinator.core.PeerListing}): where a node joining the gossip network
     * dials first, so no network's flood of fresh keys can make it the only one a joining node meets.
     * Shared by every ask for a second at least ({@link #entryPoints}): a node is listed up to a
     * second late, or kept a second past its freshness, which a joining node's dials never notice.
     */
    public PeerList nodes() {
        Ranked last = ranked;
        long drift = (clock.millis() - last.atMs()) - (nanoTime.getAsLong() - last.atNanos()) / 1_000_000;
        if (Math.abs(drift) >= FreshCopy.MIN_AGE_NANOS / 1_000_000) {
            // A ranking is for one freshness cutoff: where this clock moved a second away from the
            // process's own since (a test's, held still and moved; a wall clock set), it is another.
            entryPoints.changed();
        }
        return entryPoints.get(() -> {
            rankings.incrementAndGet();
            long nowMs = clock.millis();
            ranked = new Ranked(nowMs, nanoTime.getAsLong());
            long since = nowMs - NODE_FRESHNESS_MS;
            return PeerList.newBuilder()
                    .addAllPeers(store.inReadTransaction(tx -> tx.nodesListedSince(since, MAX_NODES_LISTED)))
                    .build();
        });
    }

    /** How many times {@link #nodes} ranked the nodes (the rest were served the shared ranking). */
    long rankings() {
        return rankings.get();
    }
}
