package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.node.gossip.core.Effect.ResultSeen;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.PublicId;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Checked NodeInfo and Result announcements: a NodeInfo learnt and relayed while it teaches someone something, a Result handed to the node and relayed. */
final class RecordRelays {
    private final Self self;
    private final Peers peers;
    private final Dialer dialer;
    private final Outbox outbox;

    RecordRelays(Self self, Peers peers, Dialer dialer, Outbox outbox) {
        this.self = self;
        this.peers = peers;
        this.dialer = dialer;
        this.outbox = outbox;
    }

    /**
     * Relayed only while it teaches someone something: the flood dies where tables already know it.
     * Nor while another id holds its address (unless this one proved it owns it), nor while dials to
     * its host keep failing: made-up ids naming one victim's address (or its ports) stop at the
     * first node that knows one of them, or found the host dead.
     */
    void nodeInfo(PublicId from, Link link, PublicId signer, NodeInfo info, SignedEnvelope envelope, long now,
                  List<Effect> out) {
        AddressDials dials = peers.dials();
        PeerTable table = peers.table();
        boolean contested = (table.claimedByAnother(signer, info) || dials.hostFailing(info))
                && !signer.equals(dials.owner(info));
        if (!signer.equals(self.id()) && !peers.scores().isBanned(signer, now)
                && table.offer(signer, info, envelope, link.remote().reach(), dialer::kept) && !contested) {
            // Not to links it would be out of reach for: they drop it, and it maps our LAN for them.
            Set<PublicId> skip = new HashSet<>(except(from, signer));
            Connections connections = peers.connections();
            for (PublicId peer : connections.openPeers()) {
                if (PeerTable.outOfReach(info, connections.get(peer).remote().reach())) {
                    skip.add(peer);
                }
            }
            outbox.relay(envelope, skip, now, out);
        }
    }

    void result(PublicId from, PublicId signer, SignedEnvelope envelope, long now, List<Effect> out) {
        resultHeardHere(envelope, out);
        outbox.relay(envelope, except(from, signer), now, out);
    }

    /** A Result handed to the node and not relayed: its date holds only by its signer's clock as its link measured it. */
    void resultHeardHere(SignedEnvelope envelope, List<Effect> out) {
        out.add(new ResultSeen(envelope));
    }

    private static Set<PublicId> except(PublicId from, PublicId signer) {
        return from.equals(signer) ? Set.of(from) : Set.of(from, signer);
    }
}
