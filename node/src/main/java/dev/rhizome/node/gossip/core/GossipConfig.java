package dev.rhizome.node.gossip.core;

import java.time.Duration;

/**
 * The gossip core's knobs. Defaults follow gossipsub (mesh degree 6 of up to 12, a two-minute seen
 * cache) and Radicle's penalties. A peer whose score falls to -32 is disconnected and banned at once:
 * Radicle waits for -64 to ban, but a disconnected peer's score only recovers with time, so a
 * second threshold would let a proven forger or flooder back in instead of banning it. Setting
 * banScore below disconnectScore gives that softer regime to those who want it.
 *
 * @param degree                 connections the node tries to keep
 * @param maxDegree              connections it accepts at most
 * @param maxKnownPeers          entries in the peer table
 * @param seenTtl                how old an announcement may be (by the sender's clock) and still be taken
 * @param maxSeen                message ids remembered at most
 * @param maxClockSkew           how far the sender's clock may be from ours, either way: by default
 *                               twice the coordinator's replay window (two nodes it takes requests
 *                               from may be that far apart), so no honest node is refused (and
 *                               penalised) for its clock
 * @param fetchStall             a fetch without progress for this long is stalled
 * @param maxCommitsPerInventory commits one Inventory may name
 * @param announcementsPerSecond token-bucket refill of gossip messages per peer
 * @param announcementBurst      token-bucket size per peer
 * @param disconnectScore        at or below this score a peer is disconnected and not dialed
 * @param banScore               at or below this score a peer is banned for {@code banDuration}
 * @param banDuration            how long a ban lasts
 * @param redialBase             first redial delay after a failed or lost outbound connection
 * @param redialMax              cap of the exponential redial delay
 */
public record GossipConfig(int degree, int maxDegree, int maxKnownPeers, Duration seenTtl, int maxSeen,
        Duration maxClockSkew, Duration fetchStall, int maxCommitsPerInventory, int announcementsPerSecond,
        int announcementBurst, double disconnectScore, double banScore, Duration banDuration, Duration redialBase,
        Duration redialMax) {

    public GossipConfig {
        if (degree < 1 || maxDegree < degree) {
            throw new IllegalArgumentException("need 1 <= degree <= maxDegree, got " + degree + " and " + maxDegree);
        }
        if (maxKnownPeers < degree || maxSeen < 1 || maxCommitsPerInventory < 1) {
            throw new IllegalArgumentException("maxKnownPeers must be at least degree; maxSeen and maxCommitsPerInventory positive");
        }
        if (announcementsPerSecond < 1 || announcementBurst < 1) {
            throw new IllegalArgumentException("announcement rate and burst must be positive");
        }
        if (!(banScore <= disconnectScore && disconnectScore < 0)) {
            throw new IllegalArgumentException("need banScore <= disconnectScore < 0");
        }
        for (Duration d : new Duration[] {seenTtl, maxClockSkew, fetchStall, banDuration, redialBase, redialMax}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("durations must be positive");
            }
        }
    }

    public static GossipConfig defaults() {
        return new GossipConfig(6, 12, 256, Duration.ofMinutes(2), 100_000, Duration.ofMinutes(10),
                Duration.ofSeconds(10), 1000, 50, 200, -32, -32, Duration.ofMinutes(10), Duration.ofSeconds(1),
                Duration.ofSeconds(60));
    }

    /** Inbound connections accepted at most: half the degree stays reserved for peers we chose (gossipsub's D_out). */
    int maxInbound() {
        return maxDegree - outboundQuota();
    }

    /** Outbound connections kept even when inbound ones fill the degree, so Sybils dialing in can't eclipse us. */
    int outboundQuota() {
        return Math.max(1, degree / 2);
    }
}
