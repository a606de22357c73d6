package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.LinkHandshake;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * This node's clock against its peers', from the signed dates of the hellos its handshakes read
 * (refused for their date or not): a node whose clock is off by more than the skew allowed has its
 * links refused at both ends with no reason given, so the operator learns it here ({@code rhizome
 * node status}). One reading per peer, the latest; a judgement needs {@link #MIN_PEERS} peers and
 * goes by their median, so one peer with a wrong clock (or a made-up key) does not make this
 * node's clock look wrong. Thread-safe: handshakes run on the event loops.
 */
final class PeerClocks {
    /** Peers remembered, the latest readings. */
    static final int MAX_PEERS = 32;
    /** Readings older than this (on the monotonic clock) are forgotten. */
    static final long FORGET_MS = 30 * 60_000;
    static final int MIN_PEERS = 2;

    private record Reading(long aheadMs, long atMs) {
    }

    private final Map<PublicId, Reading> readings = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<PublicId, Reading> eldest) {
            return size() > MAX_PEERS;
        }
    };

    /** {@code peer}'s signed hello was dated {@code aheadMs} ahead of our wall clock, read at {@code nowMs} (monotonic). */
    synchronized void read(PublicId peer, long aheadMs, long nowMs) {
        readings.put(peer, new Reading(aheadMs, nowMs));
    }

    /** The verdict now, or null with fewer than {@link #MIN_PEERS} recent readings. */
    synchronized GossipService.ClockCheck verdict(long nowMs) {
        readings.values().removeIf(r -> nowMs - r.atMs() > FORGET_MS);
        if (readings.size() < MIN_PEERS) {
            return null;
        }
        List<Long> ahead = new ArrayList<>();
        readings.values().forEach(r -> ahead.add(r.aheadMs()));
        ahead.sort(null);
        long median = ahead.get(ahead.size() / 2);
        return new GossipService.ClockCheck(median, ahead.size(), problem(median, ahead.size()));
    }

    /** Null while the median is within the skew; else what is wrong and what to do. */
    static String problem(long peersAheadMs, int peers) {
        if (Math.abs(peersAheadMs) <= LinkHandshake.MAX_SKEW_MS) {
            return null;
        }
        return String.format("this node's clock is %d s %s its peers' (the median of %d peers' signed hellos), past the "
                        + "%d s allowed: peers refuse its links and its announcements, and it refuses theirs. "
                        + "Set the clock right and keep it so (enable NTP: timedatectl set-ntp true)",
                Math.abs(peersAheadMs) / 1000, peersAheadMs > 0 ? "behind" : "ahead of", peers,
                LinkHandshake.MAX_SKEW_MS / 1000);
    }
}
