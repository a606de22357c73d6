package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;
import java.util.Random;

/**
 * What a peer's offence costs it: its score, and past the thresholds a disconnect or a ban (which
 * also forgets what the node knew of it and moves its fetches to other holders).
 */
final class Discipline {
    private final Random random;
    private final Connections connections;
    private final PeerScores scores;
    private final PeerTable table;
    private final AddressDials dials;
    private final FetchPlanner planner;
    private final GoneClaims goneClaims;
    private final HolderAddresses addresses;
    private final RememberedPeers remembered;
    private final FetchStarter fetches;
    private final Dialer dialer;
    private final Counters counters;

    Discipline(Self self, Peers peers, Bundles bundles, HolderAddresses addresses, RememberedPeers remembered,
               FetchStarter fetches, Dialer dialer) {
        this.random = self.random();
        this.counters = self.counters();
        this.connections = peers.connections();
        this.scores = peers.scores();
        this.table = peers.table();
        this.dials = peers.dials();
        this.planner = bundles.planner();
        this.goneClaims = bundles.goneClaims();
        this.addresses = addresses;
        this.remembered = remembered;
        this.fetches = fetches;
        this.dialer = dialer;
    }

    /** Scores the offence (none for a weightless one) and acts on the score. */
    void penalise(PublicId peer, Penalty penalty, long now, List<Effect> out) {
        if (penalty.weight == 0) {
            return;
        }
        switch (scores.penalise(peer, penalty, now)) {
            case BAN -> ban(peer, penalty, now, out);
            case DISCONNECT -> disconnect(peer, "score " + Math.round(scores.score(peer, now)) + " after " + penalty, now, out);
            case KEEP -> { }
        }
    }

    /** Bans {@code peer}: forgotten everywhere, its fetches moved to other holders, its link closed. */
    void ban(PublicId peer, Penalty penalty, long now, List<Effect> out) {
        counters.peersBanned++;
        goneClaims.forget(peer);
        table.remove(peer);
        addresses.forget(peer);
        remembered.forget(peer);
        for (Start s : planner.forget(peer)) {
            out.add(new CancelFetch(s.from(), s.commit()));
            counters.fetchesFailed++;
            Start next = planner.failed(peer, s.commit(), false, now);
            if (next != null) {
                fetches.startFetch(next, out);
            }
            fetches.giveUpIfExhausted(s.commit(), "its holder was banned after " + penalty, out);
        }
        fetches.startReady(now, out);
        disconnect(peer, "banned after " + penalty, now, out);
    }

    /** Closes the link to {@code peer} (or ends the dial to it), once, and dials another to keep the degree. */
    void disconnect(PublicId peer, String reason, long now, List<Effect> out) {
        Link link = connections.get(peer);
        boolean dialing = connections.dialEnded(peer);
        if (dialing) {
            dials.ended(peer, AddressDials.Outcome.UNKNOWN, now, random);
        }
        if ((link != null && !link.closing()) || dialing) {
            if (link != null) {
                link.close(now);
            }
            counters.peersDisconnected++;
            out.add(new Disconnect(peer, reason));
            dialer.keepDegree(now, out);
        }
    }
}
