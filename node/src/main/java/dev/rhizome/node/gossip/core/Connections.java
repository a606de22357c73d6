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
        /** How far the link's remote address reaches: what addresses the peer may hand us (see {@link PeerTable#outOfReach}). */
        dev.rhizome.protocol.PeerAddress.Reach reach = dev.rhizome.protocol.PeerAddress.Reach.LOOPBACK;
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

    int openInbound() {
        return openCount() - openOutbound();
    }

    int dialingCount() {
        return dialing.size();
    }
}
