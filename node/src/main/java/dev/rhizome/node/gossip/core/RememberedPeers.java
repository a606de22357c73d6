package dev.rhizome.node.gossip.core;

import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.PublicId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The peers this node had links with, the most recent, persisted now and then so a restart can rejoin without a bootstrap. */
final class RememberedPeers {
    /** The peers we had links with are persisted at most this often (and when the node stops). */
    static final long SAVE_PEERS_MS = 30_000;
    /** Peers remembered for a restart, the most recently connected. */
    static final int REMEMBERED_PEERS = 64;
    /**
     * Of those, at most this many peers that only ever dialled in. Anyone can dial in, under as many
     * keys as it likes: a rogue's Sybils linking in one after another (each link a handshake, paced by
     * the turns) took every place, flushing the peers this node chose, and a restart rejoined through
     * the rogue alone. Peers this node dialled keep the other half, as the outbound quota keeps half
     * the degree.
     */
    static final int REMEMBERED_INBOUND = REMEMBERED_PEERS / 2;
    /**
     * Of those, at most this many from one network ({@link NetworkGroup}, by the address the link came
     * from): keys cost nothing, addresses in one /24 little, so 32 Sybils dialling in from one network
     * took every inbound place, and a restart rejoined through that network. As Bitcoin's addrman
     * buckets by netgroup, a network keeps a few places and the rest go to others.
     */
    static final int REMEMBERED_INBOUND_PER_NETWORK = 4;

    private final Bounded<PublicId, SignedEnvelope> remembered = new Bounded<>(REMEMBERED_PEERS);
    /** The remembered peers that only dialled in (never linked by a dial of ours while remembered), with the network each came from. */
    private final Map<PublicId, String> inbound = new HashMap<>();
    private boolean rememberedChanged;
    private long nextSaveMs;

    void started(long now) {
        nextSaveMs = now + SAVE_PEERS_MS;
    }

    /**
     * A link opened to a peer whose hello named an address within the link's reach: peers.bin is read
     * back as trusted as configured. {@code network} is the {@link NetworkGroup} the link came from.
     */
    void linked(PublicId peer, SignedEnvelope peerInfo, boolean outbound, String network) {
        if (outbound) {
            inbound.remove(peer);
        } else if (!remembered.containsKey(peer) || inbound.containsKey(peer)) {
            inbound.put(peer, network);
            // the least recent of its own network gives its place first, then of any that dialled in;
            // never one this node chose
            if (inbound.values().stream().filter(network::equals).count() > REMEMBERED_INBOUND_PER_NETWORK) {
                forgetLeastRecentInbound(peer, network);
            }
            if (inbound.size() > REMEMBERED_INBOUND) {
                forgetLeastRecentInbound(peer, null);
            }
        }
        remembered.put(peer, peerInfo);
        inbound.keySet().retainAll(remembered.keys()); // the bound may have dropped one
        rememberedChanged = true;
    }

    /** Forgets the least recently linked peer that dialled in (of {@code network}, when not null), other than {@code keep}. */
    private void forgetLeastRecentInbound(PublicId keep, String network) {
        remembered.keys().stream()
                .filter(p -> !p.equals(keep) && inbound.containsKey(p) && (network == null || network.equals(inbound.get(p))))
                .findFirst().ifPresent(p -> {
                    remembered.remove(p);
                    inbound.remove(p);
                });
    }

    /** A banned peer is not rejoined through. */
    void forget(PublicId peer) {
        inbound.remove(peer);
        if (remembered.remove(peer) != null) {
            rememberedChanged = true;
        }
    }

    /** Asks to save the peers when they changed and the last save is {@link #SAVE_PEERS_MS} old. */
    void saveIfDue(long now, List<Effect> out) {
        if (rememberedChanged && now >= nextSaveMs) {
            nextSaveMs = now + SAVE_PEERS_MS;
            rememberedChanged = false;
            out.add(new Effect.SavePeers(remembered.values()));
        }
    }

    /** The node stops: the peers are saved whatever the time since the last save. */
    void stop(List<Effect> out) {
        if (remembered.size() > 0) {
            out.add(new Effect.SavePeers(remembered.values()));
            rememberedChanged = false;
        }
    }
}
