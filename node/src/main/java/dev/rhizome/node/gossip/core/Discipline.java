package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;

/**
 * What a peer's offence costs it: its score, and past the thresholds a disconnect or a ban (which
 * also forgets what the node knew of it and moves its fetches to other holders).
 */
final class Discipline {
    /** Stalls in a row, with no delivery between, after which the holder rests: a silence that outlived a retry. */
    static final int SILENCE_RESTS_AT = 2;

    private final Self self;
    private final Peers peers;
    private final Bundles bundles;
    private final HolderAddresses addresses;
    private final RememberedPeers remembered;
    private final FetchStarter fetches;
    private final Dialer dialer;

    Discipline(Self self, Peers peers, Bundles bundles, HolderAddresses addresses, RememberedPeers remembered,
               FetchStarter fetches, Dialer dialer) {
        this.self = self;
        this.peers = peers;
        this.bundles = bundles;
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
        Link link = peers.connections().get(peer);
        switch (peers.scores().penalise(peer, penalty, link == null ? null : link.remote(), now)) {
            case BAN -> ban(peer, penalty, now, out);
            case DISCONNECT -> disconnect(peer, "score " + Math.round(peers.scores().score(peer, now)) + " after " + penalty,
                    now, out);
            case KEEP -> { }
        }
    }

    /**
     * {@code peer} stalled a transfer silent since {@code silentSinceMs}: charged as a stall, unless
     * it is the silence its last charged stall was for (one pause of a holder is one stall, however
     * many of our transfers it held, see {@link PeerScores#sameSilence}). A silence that outlived a
     * retry (the second stall in a row) rests the holder, as declines do ({@link FetchPlanner#rest}):
     * nothing more is asked of it until the rest ends, so a rogue that never serves holds none of our
     * slots meanwhile and is banned by its next stall (-64), and an honest holder whose pause ended by
     * then serves, which ends its streak. Charging each transfer of that silence in the row banned the
     * rogue a window sooner, and an honest holder silent through two windows with 2 of our transfers too.
     * That next stall bans only on evidence of malice: the holder sent something on its link since the
     * transfer fell silent (its own gossip, answers to our asks), so it is alive and serves us nothing.
     * Silent on its link as well, it is paused or gone (a pause of about a minute): its link is dropped
     * and it rests, unbanned (round 19 banned it as a rogue).
     */
    void stalled(PublicId peer, long silentSinceMs, long now, List<Effect> out) {
        if (peers.scores().sameSilence(peer, silentSinceMs)) {
            return;
        }
        if (peers.scores().stallStreak(peer) >= SILENCE_RESTS_AT && silentOnItsLink(peer, silentSinceMs)) {
            // Still silent after its rest, on its link too: paused or gone, which a rogue that never
            // serves cannot be told from, and no proof of malice. Its link is dropped (its claims end
            // with it) and it rests, unbanned: a rogue must link again and announce to be asked again,
            // and one that chats on its link meanwhile is banned at its next stall.
            bundles.planner().rest(peer, now);
            moveFetchesOff(peer, "its holder fell silent on everything", now, out);
            disconnect(peer, "silent on its link and on our transfers since " + (now - silentSinceMs) / 1000 + " s ago",
                    now, out);
            return;
        }
        penalise(peer, Penalty.STALLED, now, out);
        if (peers.scores().stallStreak(peer) >= SILENCE_RESTS_AT && !peers.scores().isBanned(peer, now)) {
            bundles.planner().rest(peer, now);
        }
    }

    /**
     * Whether {@code peer}'s link has carried nothing from it since {@code silentSinceMs}: silent on
     * everything, not just on our transfer. A holder with no link (reached by the work's hints) gives
     * no such evidence either way, and is judged by its stalls alone.
     */
    private boolean silentOnItsLink(PublicId peer, long silentSinceMs) {
        Link link = peers.connections().get(peer);
        return link != null && !link.times.heardSince(silentSinceMs);
    }

    /** Bans {@code peer}: forgotten everywhere, its fetches moved to other holders, its link closed. */
    void ban(PublicId peer, Penalty penalty, long now, List<Effect> out) {
        self.counters().peersBanned++;
        bundles.goneClaims().forget(peer);
        peers.table().remove(peer);
        addresses.forget(peer);
        remembered.forget(peer);
        moveFetchesOff(peer, "its holder was banned after " + penalty, now, out);
        disconnect(peer, "banned after " + penalty, now, out);
    }

    /** {@code peer}'s claims are forgotten and its fetches moved to other holders (or given up, with {@code why}, when none is left). */
    private void moveFetchesOff(PublicId peer, String why, long now, List<Effect> out) {
        for (Start s : bundles.claims().forget(peer)) {
            out.add(new CancelFetch(s.from(), s.commit()));
            self.counters().fetchesFailed++;
            Start next = bundles.planner().failed(peer, s.commit(), false, now);
            if (next != null) {
                fetches.startFetch(next, out);
            }
            fetches.giveUpIfExhausted(s.commit(), why, out);
        }
        fetches.startReady(now, out);
    }

    /** Closes the link to {@code peer} (or ends the dial to it), once, and dials another to keep the degree. */
    void disconnect(PublicId peer, String reason, long now, List<Effect> out) {
        Link link = peers.connections().get(peer);
        boolean dialing = peers.connections().dialEnded(peer);
        if (dialing) {
            peers.dials().ended(peer, AddressDials.Outcome.UNKNOWN, now, self.random());
            // The driver's dial goes on otherwise: its answer cost both ends a handshake, to be refused as banned.
            out.add(new Effect.CancelDial(peer));
        }
        if ((link != null && !link.closing()) || dialing) {
            if (link != null) {
                link.close(now);
            }
            self.counters().peersDisconnected++;
            out.add(new Disconnect(peer, reason));
            dialer.keepDegree(now, out);
        }
    }
}
