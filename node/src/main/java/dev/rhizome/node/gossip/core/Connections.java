package dev.rhizome.node.gossip.core;

import dev.rhizome.node.rate.TokenBucket;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Open gossip connections and dials in flight, with each connection's rate limit. */
final class Connections {

    /**
     * One link. Its parts are written each by one class, which defines them: the times that say
     * whether it is alive ({@link LinkLiveness.Times}), the announcements waiting past its pace
     * ({@link Outbox.Waiting}), our peer exchange asks on it ({@link PeerExchanges.Asks}). What it
     * is (who dialled, its remote end, the peer's hello) is set when it opens and changed only when
     * a duplicate link replaces it ({@link #replaced}); it is closed once ({@link #close}).
     */
    static final class Link {
        /** Who dialled this link (a duplicate link that replaces it may turn it round). */
        private boolean outbound;
        /** The peer's messages to us: one token each. */
        private TokenBucket bucket;
        /** The peer's NodeInfo from its hello: where to fetch bundles from it (no host when it named one out of the link's reach). */
        private final NodeInfo info;
        /** The link's remote end: what addresses the peer may hand us (see {@link PeerTable#outOfReach}), and whose share of inbound slots it takes. */
        private LinkEnd remote;
        /** Disconnect was asked for; kept until the adapter reports the close so late messages still count against it. */
        private boolean closing;
        private long closingSinceMs;
        /** Whose link this is: its clock measure is the peer's, kept in {@link #clocks}, shared by every link of it. */
        private final PublicId peer;
        private final ClockMeasures clocks;
        final LinkLiveness.Times times;
        final Outbox.Waiting waiting = new Outbox.Waiting();
        final PeerExchanges.Asks asks = new PeerExchanges.Asks();
        /** The count of links the core closed, shared by every link of one {@link Connections}. */
        private final long[] closes;

        private Link(PublicId peer, ClockMeasures clocks, boolean outbound, TokenBucket bucket, NodeInfo info, LinkEnd remote,
                     long now, long[] closes) {
            this.peer = peer;
            this.clocks = clocks;
            this.closes = closes;
            this.outbound = outbound;
            this.bucket = bucket;
            this.info = info;
            this.remote = remote;
            this.times = new LinkLiveness.Times(now);
        }

        boolean outbound() {
            return outbound;
        }

        NodeInfo info() {
            return info;
        }

        LinkEnd remote() {
            return remote;
        }

        /**
         * How far the peer's clock reads ahead of ours, as its last proven hello or own record dated
         * it (the peer's measure, whichever of its links read it); 0 when nothing was measured.
         */
        long clockAheadMs() {
            return clocks.aheadMs(peer);
        }

        /** Whether a handshake proved a hello of the peer's since it last linked: its clock is measured. */
        boolean clockMeasured() {
            return clocks.measured(peer);
        }

        /** The peer's clock as its proven hello dated it against ours; {@code measured} false with no handshake behind it (nothing kept). */
        void clockAheadMs(long aheadMs, boolean measured) {
            if (measured) {
                clocks.take(peer, aheadMs);
            } else {
                clocks.forget(peer);
            }
        }

        boolean closing() {
            return closing;
        }

        /** Whether the peer's message now is within its rate (taking a token if so). */
        boolean admits(long now) {
            return bucket.tryTake(1, now * 1_000_000L);
        }

        /** Disconnect was asked for now (the core closes it: counted in {@link Connections#closedByCore}). */
        void close(long now) {
            if (!closing) {
                closes[0]++;
            }
            closing = true;
            closingSinceMs = now;
        }

        /** Disconnect was asked for now to give this link's slot to a newcomer: no link is lost, so not counted. */
        void closeForNewcomer(long now) {
            closing = true;
            closingSinceMs = now;
        }

        /**
         * A second link to the peer replaced this one (the old one may be dead: the peer restarted):
         * its ends, its rate and the times of the new link. Our exchange asks stay expected and what
         * waits to be told still waits.
         */
        void replaced(boolean outbound, LinkEnd remote, TokenBucket bucket, long now) {
            this.outbound = outbound;
            this.remote = remote;
            this.bucket = bucket;
            asks.relinked();
            times.relinked(now);
        }
    }

    private final Map<PublicId, Link> links = new LinkedHashMap<>();
    private final ClockMeasures clocks = new ClockMeasures();
    /** Links the core closed itself (a ban, an idle or unread link), not to give a slot to another: one element, shared with each link. */
    private final long[] closes = {0};
    private final Map<PublicId, Long> dialing = new HashMap<>();

    Link get(PublicId peer) {
        return links.get(peer);
    }

    boolean isOpen(PublicId peer) {
        Link link = links.get(peer);
        return link != null && !link.closing;
    }

    /** Connected, closing or being dialed: not to be dialed again nor evicted from the peer table. */
    boolean isBusy(PublicId peer) {
        return links.containsKey(peer) || dialing.containsKey(peer);
    }

    Link open(PublicId peer, boolean outbound, TokenBucket bucket, NodeInfo info, LinkEnd remote, long now) {
        Link link = new Link(peer, clocks, outbound, bucket, info, remote, now, closes);
        links.put(peer, link);
        return link;
    }

    /**
     * How many links the core has closed itself so far. The driver does not report those closes
     * back ({@code onDisconnected} is for links the peer or the network closed), so whoever counts
     * lost links reads this as well.
     */
    long closedByCore() {
        return closes[0];
    }

    /** The peer is gone: its link, and with it the measure of its clock (a peer that links again is measured anew). */
    Link remove(PublicId peer) {
        clocks.forget(peer);
        return links.remove(peer);
    }

    /** How many peers' clocks are measured: none outlives its peer's links. */
    int clocksMeasured() {
        return clocks.size();
    }

    /**
     * Our wall clock moved by {@code movedMs} against the core's: each link's peer now reads that
     * much further behind ours, so a link made before a step of our clock keeps its peer's own
     * Inventories judged by the peer's clock.
     */
    void wallClockMoved(long movedMs) {
        clocks.wallClockMoved(movedMs);
    }

    /** The peers a dial of ours is under way to. */
    Set<PublicId> dialingPeers() {
        return dialing.keySet();
    }

    void dialing(PublicId peer, long nowMs) {
        dialing.put(peer, nowMs);
    }

    /** When the dial to {@code peer} in flight started, or -1 when none is. */
    long dialStartedMs(PublicId peer) {
        Long started = dialing.get(peer);
        return started == null ? -1 : started;
    }

    /** True if a dial to {@code peer} was in flight. */
    boolean dialEnded(PublicId peer) {
        return dialing.remove(peer) != null;
    }

    /** Dials started before {@code cutoffMs} that never got an answer. */
    List<PublicId> expireDials(long cutoffMs) {
        List<PublicId> expired = new ArrayList<>();
        for (Iterator<Map.Entry<PublicId, Long>> it = dialing.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<PublicId, Long> e = it.next();
            if (e.getValue() < cutoffMs) {
                expired.add(e.getKey());
                it.remove();
            }
        }
        return expired;
    }

    /** Forgets closing links whose close the adapter never reported, so they can't pile up. */
    void expireClosing(long cutoffMs) {
        links.entrySet().removeIf(e -> {
            boolean gone = e.getValue().closing && e.getValue().closingSinceMs < cutoffMs;
            if (gone) {
                clocks.forget(e.getKey());  // the peer is gone with its last link
            }
            return gone;
        });
    }

    List<PublicId> openPeers() {
        List<PublicId> out = new ArrayList<>();
        links.forEach((peer, link) -> {
            if (!link.closing) {
                out.add(peer);
            }
        });
        return out;
    }

    /** Peers with an open link or a dial in flight. */
    List<PublicId> busyPeers() {
        List<PublicId> out = openPeers();
        out.addAll(dialing.keySet());
        return out;
    }

    /** The NodeInfo of an open link's hello, or null. */
    NodeInfo infoOf(PublicId peer) {
        Link link = links.get(peer);
        return link == null || link.closing ? null : link.info;
    }

    int openCount() {
        return (int) links.values().stream().filter(l -> !l.closing).count();
    }

    int openOutbound() {
        return (int) links.values().stream().filter(l -> !l.closing && l.outbound).count();
    }

    /**
     * An inbound link to close for a newcomer at {@code remote} when the inbound slots are full,
     * shared max-min first among networks ({@link NetworkGroup}), then among addresses within one:
     * the newest link of the most crowded address of the most crowded network, if that network
     * holds at least two more links than the newcomer's would; else, within the newcomer's own
     * network, the newest of its most crowded address, if that holds at least two more than the
     * newcomer's address; else null. Ids cost nothing, and one host's made-up ids took every inbound
     * slot of every node it reached; shared by address alone, a party holding many addresses of one
     * network (a /24 of cloud machines) still did.
     */
    PublicId inboundToDisplace(LinkEnd remote) {
        List<Map.Entry<PublicId, Link>> inbound = new ArrayList<>();
        links.forEach((peer, link) -> {
            if (!link.closing && !link.outbound) {
                inbound.add(Map.entry(peer, link));
            }
        });
        String network = remote.network();
        Map<String, Integer> perNetwork = count(inbound, link -> link.remote.network());
        String crowdedNetwork = mostCrowded(perNetwork);
        if (crowdedNetwork != null && perNetwork.get(crowdedNetwork) >= perNetwork.getOrDefault(network, 0) + 2) {
            return newestOfMostCrowdedAddress(inbound, crowdedNetwork);
        }
        List<Map.Entry<PublicId, Link>> mine = inbound.stream().filter(e -> e.getValue().remote.network().equals(network)).toList();
        Map<String, Integer> perAddress = count(mine, link -> link.remote.address());
        String crowdedAddress = mostCrowded(perAddress);
        if (crowdedAddress != null && perAddress.get(crowdedAddress) >= perAddress.getOrDefault(remote.address(), 0) + 2) {
            return newestOfMostCrowdedAddress(mine, network);
        }
        return null;
    }

    private static Map<String, Integer> count(List<Map.Entry<PublicId, Link>> inbound, java.util.function.Function<Link, String> key) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        inbound.forEach(e -> counts.merge(key.apply(e.getValue()), 1, Integer::sum));
        return counts;
    }

    /** The key with the highest count, the first met among equals; null when there is none. */
    private static String mostCrowded(Map<String, Integer> counts) {
        String crowded = null;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (crowded == null || e.getValue() > counts.get(crowded)) {
                crowded = e.getKey();
            }
        }
        return crowded;
    }

    /** The newest inbound link (links are kept in the order they opened) of {@code network}'s most crowded address. */
    private static PublicId newestOfMostCrowdedAddress(List<Map.Entry<PublicId, Link>> inbound, String network) {
        List<Map.Entry<PublicId, Link>> there = inbound.stream().filter(e -> e.getValue().remote.network().equals(network)).toList();
        String address = mostCrowded(count(there, link -> link.remote.address()));
        PublicId newest = null;
        for (Map.Entry<PublicId, Link> e : there) {
            if (e.getValue().remote.address().equals(address)) {
                newest = e.getKey();
            }
        }
        return newest;
    }

    int openInbound() {
        return openCount() - openOutbound();
    }

    int dialingCount() {
        return dialing.size();
    }

    /** Dials in flight started at or after {@code sinceMs}. */
    int dialingSince(long sinceMs) {
        int n = 0;
        for (long started : dialing.values()) {
            if (started >= sinceMs) {
                n++;
            }
        }
        return n;
    }
}
