package dev.rhizome.node.gossip.core;

import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;

/** The peers this node had links with, the most recent, persisted now and then so a restart can rejoin without a bootstrap. */
final class RememberedPeers {
    /** The peers we had links with are persisted at most this often (and when the node stops). */
    static final long SAVE_PEERS_MS = 30_000;
    /** Peers remembered for a restart, the most recently connected. */
    static final int REMEMBERED_PEERS = 64;

    private final Bounded<PublicId, SignedEnvelope> remembered = new Bounded<>(REMEMBERED_PEERS);
    private boolean rememberedChanged;
    private long nextSaveMs;

    void started(long now) {
        nextSaveMs = now + SAVE_PEERS_MS;
    }

    /** A link opened to a peer whose hello named an address within the link's reach: peers.bin is read back as trusted as configured. */
    void linked(PublicId peer, SignedEnvelope peerInfo) {
        remembered.put(peer, peerInfo);
        rememberedChanged = true;
    }

    /** A banned peer is not rejoined through. */
    void forget(PublicId peer) {
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
