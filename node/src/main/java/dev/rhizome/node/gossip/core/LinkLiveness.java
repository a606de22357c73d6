package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;

/** Whether each link is alive: the keepalive we send, and the close of a link that is silent or reads nothing. */
final class LinkLiveness {
    /**
     * A link we sent nothing on for this long gets a keepalive: a PeerExchangeRequest for one
     * record (every node answers it, at most once per 10 s per link, with its own signed NodeInfo,
     * a few hundred bytes), so both ends hear something at least this often. The protocol had no
     * ping, and an honest link may carry nothing for many minutes (peer exchange goes to one random
     * link every 30 s, and stops once the table is full; self announcements every 10 minutes).
     */
    static final long KEEPALIVE_MS = 60_000;
    /**
     * A link on which the peer sent no whole message for this long is closed (routine: a dead link
     * or a silent peer holding a link slot). Sized from the protocol's own limits: an honest peer
     * sends a keepalive within {@link #KEEPALIVE_MS}, and a frame already started may take up to
     * 10 s plus its bytes at the fetch floor of 6.4 KB/s to arrive (the wire's frame deadline, 174 s
     * for a whole 1 MiB frame); this is longer than the two together.
     */
    static final long LINK_IDLE_MS = 240_000;
    /**
     * A link whose outbound buffer stays over its write mark this long is closed (routine): the
     * peer reads nothing of what we send, and what we send past the mark is dropped, withdrawals
     * among it, while the peer may keep its slot by sending valid messages. An honest reader at
     * the fetch floor (6.4 KB/s) takes the buffer from its high mark (1 MiB) to its low (256 KiB)
     * in two minutes; this is the frame deadline of a whole 1 MiB frame, rounded up.
     */
    static final long UNREAD_MS = 180_000;

    /** A link's times, written as it hears, sends and is written to; read here only. */
    static final class Times {
        /** When the peer last sent us a message, and when we last sent it one: the idle rule and the keepalive. */
        private long heardMs;
        private long sentMs;
        /** Since when the link's outbound buffer has been over its write mark (the peer reads nothing); MAX_VALUE: it is not. */
        private long unreadSinceMs = Long.MAX_VALUE;

        Times(long openedMs) {
            heardMs = openedMs;
            sentMs = openedMs;
        }

        void heard(long now) {
            heardMs = now;
        }

        /** Whether the peer sent a message on this link (its hello included) at or after {@code ms}. */
        boolean heardSince(long ms) {
            return heardMs >= ms;
        }

        void sent(long now) {
            sentMs = now;
        }

        /** A new link replaced the old: heard from now, and read by the peer until it says otherwise. */
        void relinked(long now) {
            heardMs = now;
            unreadSinceMs = Long.MAX_VALUE;
        }
    }

    private final Self self;
    private final Peers peers;
    private final PeerExchanges exchanges;

    LinkLiveness(Self self, Peers peers, PeerExchanges exchanges) {
        this.self = self;
        this.peers = peers;
        this.exchanges = exchanges;
    }

    /**
     * The idle rule and the keepalive: a link whose peer sent nothing for {@link #LINK_IDLE_MS} is
     * closed; one we sent nothing on for {@link #KEEPALIVE_MS} gets a PeerExchangeRequest for one
     * record, which every node (this version or an older one) answers without cost to either.
     */
    void tick(long now, List<Effect> out) {
        for (PublicId peer : peers.connections().openPeers()) {
            Link link = peers.connections().get(peer);
            Times t = link.times;
            if (now - t.heardMs >= LINK_IDLE_MS) {
                link.close(now);
                self.counters().peersDisconnected++;
                out.add(Disconnect.routine(peer, "idle: no message for " + (now - t.heardMs) / 1000 + " s"));
            } else if (t.unreadSinceMs != Long.MAX_VALUE && now - t.unreadSinceMs >= UNREAD_MS) {
                link.close(now);
                self.counters().peersDisconnected++;
                out.add(Disconnect.routine(peer, "reads nothing: our messages were over the write mark for "
                        + (now - t.unreadSinceMs) / 1000 + " s"));
            } else if (now - t.sentMs >= KEEPALIVE_MS) {
                exchanges.askKeepalive(peer, link, out);
            }
        }
    }

    /** The driver reports whether the link's outbound buffer is under its write mark ({@code writable}) or over it. */
    void writable(PublicId peer, boolean writable, long now) {
        Link link = peers.connections().get(peer);
        if (link != null) {
            link.times.unreadSinceMs = writable ? Long.MAX_VALUE : Math.min(link.times.unreadSinceMs, now);
        }
    }
}
