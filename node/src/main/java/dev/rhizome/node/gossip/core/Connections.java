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

/** Open gossip connections and dials in flight, with each connection's rate limit. */
final class Connections {

    /** Our PeerExchangeRequests counted as outstanding on one link at most. */
    static final int MAX_EXCHANGE_ASKS = 4;

    static final class Link {
        /** Who dialled this link (a duplicate link that replaces it may turn it round). */
        boolean outbound;
        TokenBucket bucket;
        /** The peer's NodeInfo from its hello: where to fetch bundles from it (no host when it named one out of the link's reach). */
        NodeInfo info;
        /** The link's remote end: what addresses the peer may hand us (see {@link PeerTable#outOfReach}), and whose share of inbound slots it takes. */
        LinkEnd remote = LinkEnd.LOOPBACK;
        /** Disconnect was asked for; kept until the adapter reports the close so late messages still count against it. */
        boolean closing;
        long closingSinceMs;
        /** Records asked for by our outstanding PeerExchangeRequests (the most of any); 0 when none is pending. */
        int exchangeAsked;
        /**
         * Our PeerExchangeRequests not answered yet (at most {@code MAX_EXCHANGE_ASKS}): two asks may
         * be out at once (a keepalive, then a full ask; a reconnect), and each answer is expected.
         */
        int exchangeAsks;
        /** What we may still send the peer of what we choose to send (relays and announcements), made on first use. */
        TokenBucket relays;
        /** Commits held here not yet announced to the peer (announcements past our pace wait, coalesced). */
        final java.util.LinkedHashSet<String> toTell = new java.util.LinkedHashSet<>();
        /** The same, of commits made here whose keeper the peer is named. */
        final java.util.LinkedHashSet<String> toKeep = new java.util.LinkedHashSet<>();
        /** When we last answered the peer's PeerExchangeRequest (long ago: none yet on this link). */
        long exchangeAnsweredMs = Long.MIN_VALUE / 2;
        /** When the peer last sent us a message, and when we last sent it one: the idle rule and the keepalive. */
        long heardMs;
        long sentMs;
        /** Since when the link's outbound buffer has been over its write mark (the peer reads nothing); MAX_VALUE: it is not. */
        long unreadSinceMs = Long.MAX_VALUE;

        Link(boolean outbound, TokenBucket bucket) {
            this.outbound = outbound;
            this.bucket = bucket;
        }
    }

    private final Map<PublicId, Link> links = new LinkedHashMap<>();
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

    Link open(PublicId peer, boolean outbound, TokenBucket bucket, NodeInfo info) {
        Link link = new Link(outbound, bucket);
        link.info = info;
        links.put(peer, link);
        return link;
    }

    Link remove(PublicId peer) {
        return links.remove(peer);
    }

    void dialing(PublicId peer, long nowMs) {
        dialing.put(peer, nowMs);
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
        links.values().removeIf(link -> link.closing && link.closingSinceMs < cutoffMs);
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

    int openCount() {
        return (int) links.values().stream().filter(l -> !l.closing).count();
    }

    int openOutbound() {
        return (int) links.values().stream().filter(l -> !l.closing && l.outbound).count();
    }

    /**
     * An inbound link to close for a newcomer at {@code address} when the inbound slots are full:
     * the newest of the address holding the most, if it holds at least two more than the
     * newcomer's would (max-min), else null. Ids cost nothing, and one host's made-up ids took
     * every inbound slot of every node it reached, so honest nodes could no longer link to them.
     */
    PublicId inboundToDisplace(String address) {
        Map<String, Integer> perAddress = new HashMap<>();
        Map<String, PublicId> newest = new HashMap<>();
        links.forEach((peer, link) -> {
            if (!link.closing && !link.outbound) {
                perAddress.merge(link.remote.address(), 1, Integer::sum);
                newest.put(link.remote.address(), peer);
            }
        });
        String crowded = null;
        for (Map.Entry<String, Integer> e : perAddress.entrySet()) {
            if (crowded == null || e.getValue() > perAddress.get(crowded)) {
                crowded = e.getKey();
            }
        }
        int mine = perAddress.getOrDefault(address, 0);
        return crowded != null && perAddress.get(crowded) >= mine + 2 ? newest.get(crowded) : null;
    }

    int openInbound() {
        return openCount() - openOutbound();
    }

    int dialingCount() {
        return dialing.size();
    }
}
