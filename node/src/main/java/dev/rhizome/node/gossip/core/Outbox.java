package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.node.rate.TokenBucket;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What this node sends its links, and at what pace: each message as a Send effect (counted, and
 * dated for the keepalive), relays to a random fanout, and the announcements that wait past a
 * link's pace until it allows them.
 */
final class Outbox {
    /** What waits on one link to be sent when its pace allows, and the pace; written here only. */
    static final class Waiting {
        /** What we may still send the peer of what we choose to send (relays and announcements), made on first use. */
        private TokenBucket relays;
        /** Commits held here not yet announced to the peer (announcements past our pace wait, coalesced). */
        private final Set<String> toTell = new LinkedHashSet<>();
        /** The same, of commits made here whose keeper the peer is named. */
        private final Set<String> toKeep = new LinkedHashSet<>();

        boolean isEmpty() {
            return toTell.isEmpty() && toKeep.isEmpty();
        }
    }

    private final Self self;
    private final Peers peers;
    private final CoreClock clock;
    private final SelfSigner selfSigner;

    Outbox(Self self, CoreClock clock, Peers peers, SelfSigner selfSigner) {
        this.self = self;
        this.peers = peers;
        this.clock = clock;
        this.selfSigner = selfSigner;
    }

    void sendAnnouncement(PublicId to, SignedEnvelope envelope, List<Effect> out) {
        self.counters().announcementsSent++;
        send(to, Gossip.newBuilder().setAnnouncement(envelope).build(), out);
    }

    void send(PublicId to, Gossip message, List<Effect> out) {
        Link link = peers.connections().get(to);
        if (link != null) {
            link.times.sent(clock.nowMs());
        }
        self.counters().messagesSent++;
        out.add(new Send(to, message));
    }

    /** Forwards a flooded announcement to at most {@code degree} random neighbours, skipping {@code except}. */
    void relay(SignedEnvelope envelope, Set<PublicId> except, long now, List<Effect> out) {
        List<PublicId> candidates = new ArrayList<>();
        for (PublicId peer : peers.connections().openPeers()) {
            if (!except.contains(peer)) {
                candidates.add(peer);
            }
        }
        for (PublicId peer : RandomPick.some(candidates, self.config().degree(), self.random())) {
            // Relays to one link are paced at half the rate its token bucket takes from us: what a
            // rogue pours in over several links (fresh NodeInfos, or the same ones re-signed newer)
            // was relayed as fast as it came, and the honest neighbour then banned this node as a
            // flooder. Past the pace a relay is dropped for that link; the flood reaches it by others.
            if (paced(peers.connections().get(peer), now).tryTake(1, now * 1_000_000L)) {
                sendAnnouncement(peer, envelope, out);
            }
        }
    }

    /**
     * What this node chooses to send a link (relays, announcements of what it came to hold) is paced
     * at half the rate that link's token bucket takes from us (25 a second, burst 50): a node that
     * came to hold hundreds of commits at once (an agent's import, a backlog fetched) sent an
     * Inventory per commit per link, and its honest neighbours rate-limited it to a ban.
     */
    TokenBucket paced(Link link, long now) {
        Waiting w = link.waiting;
        if (w.relays == null) {
            w.relays = new TokenBucket(self.config().announcementsPerSecond() / 2.0, self.config().announcementBurst() / 4.0,
                    now * 1_000_000L);
        }
        return w.relays;
    }

    /**
     * {@code commit} waits on the link to be told (or, {@code keep}, told with the peer named its
     * keeper); a full Inventory's worth goes out at once, whatever the pace.
     */
    void tellLater(PublicId peer, Link link, String commit, boolean keep, long now, List<Effect> out) {
        Set<String> waiting = keep ? link.waiting.toKeep : link.waiting.toTell;
        waiting.add(commit);
        if (waiting.size() >= self.config().maxCommitsPerInventory()) {
            tellWaiting(peer, link, true, now, out);
        }
    }

    /** {@code commits} are no longer held: never announced, though they waited. */
    void unwait(Collection<String> commits) {
        for (PublicId peer : peers.connections().openPeers()) {
            Waiting w = peers.connections().get(peer).waiting;
            w.toTell.removeAll(commits);
            w.toKeep.removeAll(commits);
        }
    }

    /** Each link's waiting announcements go out as far as its pace allows (each tick). */
    void tellAllWaiting(long now, List<Effect> out) {
        for (PublicId peer : peers.connections().openPeers()) {
            Link link = peers.connections().get(peer);
            if (!link.waiting.isEmpty()) {
                tellWaiting(peer, link, false, now, out);
            }
        }
    }

    /**
     * Announcements past a link's pace wait there, and go out together, one Inventory of the held
     * commits and one of those the peer is named to keep, as soon as the pace allows (each tick), or
     * at once when {@code force} (a full Inventory's worth waits).
     */
    void tellWaiting(PublicId peer, Link link, boolean force, long now, List<Effect> out) {
        long nanos = now * 1_000_000L;
        Waiting w = link.waiting;
        if (!w.toKeep.isEmpty() && (paced(link, now).tryTake(1, nanos) || force)) {
            sendAnnouncement(peer, selfSigner.inventory(List.copyOf(w.toKeep), List.of(peer), now), out);
            w.toKeep.clear();
        }
        if (!w.toTell.isEmpty() && (paced(link, now).tryTake(1, nanos) || force)) {
            sendAnnouncement(peer, selfSigner.inventory(List.copyOf(w.toTell), List.of(), now), out);
            w.toTell.clear();
        }
    }
}
