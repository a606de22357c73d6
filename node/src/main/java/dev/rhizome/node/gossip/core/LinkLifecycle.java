package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.AnnouncementCheck.Outcome;
import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.rate.TokenBucket;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;

/** A link's life in the core: admitted or refused after its hello, a second link to one peer resolved, greeted, and forgotten when it closes. */
final class LinkLifecycle {
    private final Self self;
    private final Peers peers;
    private final Bundles bundles;
    private final NodeInfoCheck nodeInfos;
    private final RememberedPeers remembered;
    private final PeerExchanges exchanges;
    private final Announcer announcer;
    private final Discipline discipline;
    private final Dialer dialer;
    private final RelinkChurn churn = new RelinkChurn();

    LinkLifecycle(Self self, Peers peers, Bundles bundles, NodeInfoCheck nodeInfos, RememberedPeers remembered,
                  PeerExchanges exchanges, Announcer announcer, Discipline discipline, Dialer dialer) {
        this.self = self;
        this.peers = peers;
        this.bundles = bundles;
        this.nodeInfos = nodeInfos;
        this.remembered = remembered;
        this.exchanges = exchanges;
        this.announcer = announcer;
        this.discipline = discipline;
        this.dialer = dialer;
    }

    /**
     * A link is up after a hello: refused (itself, an unwelcome peer, a hello that does not verify or
     * names an address no node listens at, no free slot), a second link to a peer resolved by
     * {@link #keepsNewLink}, or opened and greeted. An inbound link may take the slot of one from a
     * more crowded address.
     */
    void connected(PublicId peer, SignedEnvelope peerInfo, Verified<NodeInfo> verified, boolean outbound,
            LinkEnd remote, long now, List<Effect> out) {
        Reach reach = remote.reach();
        long dialedAt = peers.connections().dialStartedMs(peer);
        boolean lateDial = outbound && dialedAt >= 0 && now - dialedAt >= Dialer.SLOW_DIAL_MS;
        // Known before the hello is judged: the counts it rests on change only for an inbound link.
        boolean turnedAway = lateDial && !linked(peer) && !dialer.takesLateLink();
        peers.connections().dialEnded(peer);
        // Our dial reached the address and the peer proved its key there; an inbound link proves no address.
        peers.dials().ended(peer, !outbound ? AddressDials.Outcome.UNKNOWN
                : turnedAway ? AddressDials.Outcome.TURNED_AWAY : AddressDials.Outcome.CONNECTED, now, self.random());
        if (!outbound) {
            churned(peer, remote, now, out);
        }
        if (peer.equals(self.id())) {
            out.add(Disconnect.routine(peer, "connected to itself"));
            return;
        }
        if (!peers.scores().isWelcome(peer, now)) {
            out.add(new Effect.Shun(peer)); // a peer cut for misbehaviour came back: a loop, if it keeps coming
            out.add(new Disconnect(peer, peers.scores().isBanned(peer, now) ? "banned" : "score too low"));
            return;
        }
        Link existing = peers.connections().get(peer);
        if (existing != null && !existing.closing()) {
            boolean keepNew = keepsNewLink(peer, existing.outbound(), outbound);
            out.add(new Effect.DuplicateLink(peer, keepNew));
            // The peer's one clock, measured again from the duplicate's proven hello whichever link is
            // kept: a measure per link let a peer have its records judged by the one it liked. A skew
            // already reported for the peer is not reported again for each duplicate it opens.
            boolean reported = existing.clockMeasured() && nodeInfos.pastTheSkew(existing.clockAheadMs());
            if (keepNew) {
                // The old link may be dead (the peer restarted): greet on the new one as on a fresh link.
                existing.replaced(outbound, remote, inboundRate(now), now);
                measureClock(peer, existing, verified, reported, now, out);
                bundles.claims().unclaim(peer, now); // withdrawals sent on the old link may be lost with it
                bundles.claims().relinked(peer);
                greet(peer, now, out);
            } else if (verified != null) {
                measureClock(peer, existing, verified, reported, now, out);
            }
            return;
        }
        Outcome hello = nodeInfos.hello(peerInfo, verified, now);
        boolean clockOff = NodeInfoCheck.provenOutOfWindow(hello, peerInfo, verified, peer);
        if (clockOff) {
            out.add(new Effect.ClockSkew(peer, hello.reason()));
        } else if (!hello.accepted() || !peerInfo.getSigner().equals(peer.toByteString())) {
            self.counters().invalid++;
            discipline.penalise(peer, hello.penalty() != null ? hello.penalty() : Penalty.FORGED_SIGNER, now, out);
            out.add(new Disconnect(peer, "hello: " + (hello.reason() != null ? hello.reason() : "node info of another node")));
            return;
        }
        NodeInfo helloInfo = clockOff ? verified.record() : (NodeInfo) hello.record();
        if (PeerTable.undialable(helloInfo)) {
            // No node listens there: holders are fetched from at their hello's address, and dialled at it.
            out.add(Disconnect.routine(peer, "hello names an address no node can be dialled at"));
            return;
        }
        // Learn the address even when refusing: the peer table is how the network finds itself. Not
        // from a record dated in the future: kept, it would outrank (and, relayed, be refused in place
        // of) every record the node signs until its clock passes that date.
        if (!clockOff) {
            peers.table().offer(peer, helloInfo, peerInfo, reach, dialer::kept);
        }
        // A hello naming an address narrower than the link (a node behind a NAT announcing its LAN
        // address, or a rogue naming ours): linked, but never fetched from or dialled there.
        boolean outOfReach = PeerTable.outOfReach(helloInfo, reach);
        NodeInfo linkInfo = outOfReach ? helloInfo.toBuilder().clearHost().clearPort().build() : helloInfo;
        boolean full = peers.connections().openCount() >= self.config().maxDegree()
                || (!outbound && peers.connections().openInbound() >= self.config().maxInbound());
        PublicId displaced = full && !outbound ? peers.connections().inboundToDisplace(remote) : null;
        if (displaced != null) {
            peers.connections().get(displaced).closeForNewcomer(now); // a link for a link: none lost
            self.counters().peersDisconnected++;
            out.add(Disconnect.routine(displaced, "gave its inbound slot to a peer of a less crowded network or address"));
            full = false;
        }
        if (full) {
            out.add(Disconnect.routine(peer, "no free connection slot"));
            return;
        }
        if (turnedAway) {
            // Its entry backs off as after a failed dial (see AddressDials.Outcome.TURNED_AWAY): no penalty,
            // an honest peer on a loaded host is dialled again later, and linked when an answer comes in time.
            peers.table().dialFailed(peer, now, self.random());
            out.add(Disconnect.routine(peer, "dial answered after giving up its slot, and the degree is held"));
            return;
        }
        Link opened = peers.connections().open(peer, outbound, inboundRate(now), linkInfo, remote, now);
        measureClock(peer, opened, verified, clockOff, now, out);
        bundles.claims().relinked(peer);
        announcer.linked(peer, opened, now, out);
        peers.table().connected(peer);
        // Remembered even when dated ahead: peers.bin is read back unsigned (never handed on, replaced by
        // any signed record of the peer), so a restart redials a peer whose clock is off as any other.
        if (!outOfReach) {
            remembered.linked(peer, peerInfo, outbound, rememberedNetwork(remote, helloInfo));
        }
        greet(peer, now, out);
    }

    /**
     * The network a linked peer is remembered under: the one its link came from, which a rogue cannot
     * name as it names a hello's host; the hello's only where the link has no address (the core
     * tests' and the simulations' {@link LinkEnd#LOOPBACK}).
     */
    private static String rememberedNetwork(LinkEnd remote, NodeInfo helloInfo) {
        return remote == LinkEnd.LOOPBACK ? NetworkGroup.of(helloInfo.getHost()) : remote.network();
    }

    /**
     * Notes on the link how far the peer's clock reads from ours, as its proven hello's date says,
     * so that its own Inventories are judged by its clock ({@link AnnouncementCheck#announcement}),
     * and reports a skew past the limit that the hello's own check did not ({@code reported}): a
     * clock behind dates an old hello, which is kept as any old address record is.
     */
    private void measureClock(PublicId peer, Link link, Verified<NodeInfo> verified, boolean reported, long now,
            List<Effect> out) {
        long aheadMs = nodeInfos.provenClockAheadMs(verified, now);
        link.clockAheadMs(aheadMs, verified != null);
        if (nodeInfos.pastTheSkew(aheadMs) && !reported) {
            out.add(new Effect.ClockSkew(peer, "its hello dated " + Math.abs(aheadMs) + " ms "
                    + (aheadMs > 0 ? "in the future" : "in the past")));
        }
    }

    /** An inbound link closed before the core heard it was up: its handshake was paid all the same. */
    void goneBeforeUp(PublicId peer, LinkEnd remote, long now, List<Effect> out) {
        churned(peer, remote, now, out);
    }

    /**
     * An inbound handshake from {@code remote} ended after we answered its hello and before its link
     * was up (no proof, or a bad one): our verification and signature were paid, and it never reached
     * the core as a link, so it is counted as churn of its address and network.
     */
    void handshakeAbandoned(LinkEnd remote, long now, List<Effect> out) {
        if (churn.abandoned(remote.address(), now)) {
            out.add(new Effect.Churning(remote.address()));
        }
    }

    private void churned(PublicId peer, LinkEnd remote, long now, List<Effect> out) {
        if (churn.linkedIn(remote.address(), peer, now, this::linked)) {
            // Its handshake is paid; the next ones from there wait out a rest, before any signature work.
            out.add(new Effect.Churning(remote.address()));
        }
    }

    /** Whether {@code peer} holds a link here now (one closing is gone). */
    private boolean linked(PublicId peer) {
        Link link = peers.connections().get(peer);
        return link != null && !link.closing();
    }

    /** What the peer may send us on a link (the rate its messages are taken at). */
    private TokenBucket inboundRate(long now) {
        return new TokenBucket(self.config().announcementsPerSecond(), self.config().announcementBurst(), now * 1_000_000L);
    }

    /** A new link: ask for peers while the table has room, and tell the peer what we recently came to hold. */
    private void greet(PublicId peer, long now, List<Effect> out) {
        exchanges.askWhileRoom(peer, out);
        announcer.greet(peer, now, out);
    }

    /**
     * The tie-break for two links to one peer, the same at both ends: a second link by the same
     * dialler is a reconnect, and the old link is the one likely dead; links dialled from both ends
     * at once keep the one dialled by the smaller node id.
     */
    boolean keepsNewLink(PublicId peer, boolean existingOutbound, boolean newOutbound) {
        if (existingOutbound == newOutbound) {
            return true;
        }
        String newDialler = (newOutbound ? self.id() : peer).toString();
        String oldDialler = (existingOutbound ? self.id() : peer).toString();
        return newDialler.compareTo(oldDialler) < 0;
    }

    /** The link closed (or the dial failed): its claims and keeper word end with it, and a failed dial of ours backs off. */
    void disconnected(PublicId peer, long now) {
        Link link = peers.connections().remove(peer);
        if (link != null) {
            bundles.claims().unclaim(peer, now); // its withdrawals rode on this link
            if (bundles.filtered()) {
                bundles.keepers().unlinked(peer, now); // and its word that it gave our commits up
            }
        }
        boolean wasDialing = peers.connections().dialEnded(peer);
        if (wasDialing) {
            peers.dials().ended(peer, AddressDials.Outcome.FAILED, now, self.random());
        }
        if (wasDialing || (link != null && link.outbound() && !link.closing())) {
            peers.table().dialFailed(peer, now, self.random());
        }
    }
}
