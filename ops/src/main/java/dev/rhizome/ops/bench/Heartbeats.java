package dev.rhizome.ops.bench;

import dev.rhizome.node.work.InventoryAnnouncer;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;

/**
 * One bench node's heartbeat: a running node announces its inventory again every
 * {@value #PERIOD_MS} ms even when nothing changed (the work loop's {@code HEARTBEAT_MS}), and
 * the coordinator replaces that node's rows each time (some 2,500 with the bench's defaults), so a
 * measured mix without them left out a steady write of a real network. Each node's first is due
 * at its own phase within the period, spread evenly across the nodes (a network's nodes did not
 * start together), then one every period. Signed when sent, on the clients' thread, as a node
 * signs its own: that CPU is the clients', not the coordinator's.
 */
final class Heartbeats {
    /** A real node's heartbeat period (node's WorkLoop). */
    static final long PERIOD_MS = 10_000;

    private final Identity identity;
    private final String network;
    private final int port;
    private final List<String> commits;
    private long dueNanos;
    private long lastSignedMs;

    private Heartbeats(Identity identity, String network, int port, List<String> commits, long dueNanos) {
        this.identity = identity;
        this.network = network;
        this.port = port;
        this.commits = commits;
        this.dueNanos = dueNanos;
    }

    /** Node {@code index} of {@code nodes}, its phase counted from {@code startNanos}. */
    static Heartbeats of(PresignedNode node, String network, int index, int nodes, List<String> commits,
            long startNanos) {
        long phase = PERIOD_MS * 1_000_000L * (2L * index + 1) / (2L * nodes);
        return new Heartbeats(node.identity(), network, AnnouncedHoldings.FIRST_PORT + index, commits, startNanos + phase);
    }

    /** Whether this node's heartbeat is due at {@code nowNanos}. */
    boolean due(long nowNanos) {
        return nowNanos - dueNanos >= 0;
    }

    /** The signed announcement (SignedEnvelope bytes) sent now; the next is due a period after. */
    byte[] next(long nowNanos) {
        dueNanos = nowNanos + PERIOD_MS * 1_000_000L;
        // the coordinator keeps an announcement only if it was signed later than the one it has
        long signedMs = Math.max(System.currentTimeMillis(), lastSignedMs + 1);
        lastSignedMs = signedMs;
        return Envelopes.sign(identity, network, InventoryAnnouncer.announcement(identity.publicId(),
                AnnouncedHoldings.HOST, port, commits, PresignedNode.HARDWARE_CLASS, signedMs)).toByteArray();
    }
}
