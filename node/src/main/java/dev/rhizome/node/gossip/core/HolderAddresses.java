package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;

/** Where a holder of a bundle is reached for a fetch: its hello, the peer table, or the addresses the work named. */
final class HolderAddresses {
    /** Addresses of holders the work named (hints), the most recent. */
    static final int HINTED_ADDRESSES = 256;

    private final Peers peers;
    private final Bounded<PublicId, PeerAddressing> hinted = new Bounded<>(HINTED_ADDRESSES);

    HolderAddresses(Peers peers) {
        this.peers = peers;
    }

    /**
     * The work's holders (the unit's peers) by id; the addresses of those the table lacks are
     * remembered, boundedly, with the reach of the source that named them ({@code learntOver}, the
     * coordinator's): an address narrower than that source is not kept.
     */
    List<PublicId> hint(List<NodeInfo> holders, Reach learntOver) {
        List<PublicId> ids = new ArrayList<>();
        for (NodeInfo info : holders) {
            if (info.getNode().size() == PublicId.LENGTH) {
                PublicId id = PublicId.of(info.getNode());
                ids.add(id);
                if (peers.table().info(id) == null && PeerTable.usable(info, learntOver)) {
                    hinted.put(id, new PeerAddressing(info, learntOver));
                }
            }
        }
        return ids;
    }

    /** A banned peer is not fetched from at the address the work named either. */
    void forget(PublicId peer) {
        hinted.remove(peer);
    }

    /**
     * The other keys reached at {@code peer}'s address only by the work's hints (no link, no address
     * of their own in the peer table). When nothing was proven at that address, they rest with
     * {@code peer}: keys cost nothing to make, and hints under many keys naming one address each
     * cost a dial (a handshake turn at a silent one). A key linked or known at the address by its
     * own record (an honest node whose address a hint borrowed) is not among them.
     */
    List<PublicId> hintedAlongside(PublicId peer) {
        PeerAddressing at = address(peer);
        if (at == null) {
            return List.of();
        }
        String where = AddressDials.address(at.info());
        List<PublicId> alongside = new ArrayList<>();
        for (PublicId key : hinted.keys()) {
            if (key.equals(peer)) {
                continue;
            }
            PeerAddressing hint = hinted.get(key);
            if (hint != null && address(key) == hint && AddressDials.address(hint.info()).equals(where)) {
                alongside.add(key);
            }
        }
        return alongside;
    }

    /**
     * Where to reach {@code peer}: its hello, the peer table, or the work's hints. A linked peer
     * whose hello named an address out of the link's reach is given without a host (the driver
     * must not fall back to that hello's address): nowhere to fetch from, a lost connection.
     */
    PeerAddressing address(PublicId peer) {
        Link link = peers.connections().get(peer);
        if (link != null && link.info() != null) {
            if (link.info().getHost().isEmpty()) {
                PeerAddressing configured = hinted.get(peer);
                return configured != null ? configured : new PeerAddressing(link.info(), link.remote().reach());
            }
            return new PeerAddressing(link.info(), link.remote().reach());
        }
        PeerAddressing known = peers.table().addressing(peer);
        if (known != null && !known.info().getHost().isEmpty()) {
            return known;
        }
        return hinted.get(peer);  // the work's peers, from the coordinator: judged by its reach
    }
}
