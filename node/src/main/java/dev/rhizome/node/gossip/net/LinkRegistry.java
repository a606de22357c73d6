package dev.rhizome.node.gossip.net;

import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The open links by peer, the dials in flight, and a second link to a linked peer while the core
 * decides which of the two to keep ({@link dev.rhizome.node.gossip.core.Effect.DuplicateLink}).
 * Core thread only: no locks.
 */
final class LinkRegistry {
    private final Map<PublicId, GossipLink> links = new HashMap<>();
    private final Map<PublicId, GossipLink> duplicates = new HashMap<>();
    private final Set<PublicId> dialling = new HashSet<>();

    /** Whether a dial to {@code peer} is started and not yet up or failed. */
    boolean dialling(PublicId peer) {
        return dialling.contains(peer);
    }

    GossipLink get(PublicId peer) {
        return links.get(peer);
    }

    boolean isCurrent(GossipLink link) {
        PublicId peer = link.peer();
        return peer != null && links.get(peer) == link;
    }

    Set<PublicId> peers() {
        return Set.copyOf(links.keySet());
    }

    /** The peer's NodeInfo from its hello on the open link, or null. */
    NodeInfo info(PublicId peer) {
        GossipLink link = links.get(peer);
        return link == null || link.peerInfo() == null ? null : link.peerInfo().record();
    }

    /** A link that passed its handshake: registered, or held as a duplicate when the peer already has one. Returns false for a duplicate. */
    boolean add(PublicId peer, GossipLink link) {
        if (links.containsKey(peer)) {
            GossipLink old = duplicates.put(peer, link);
            if (old != null) {
                old.close();
            }
            return false;
        }
        links.put(peer, link);
        return true;
    }

    /** The core's tie-break: keep the new link (closing the old one) or close the new one. */
    void resolveDuplicate(PublicId peer, boolean keepNew) {
        GossipLink fresh = duplicates.remove(peer);
        if (fresh == null) {
            return;
        }
        if (keepNew) {
            GossipLink old = links.put(peer, fresh);
            if (old != null) {
                old.close();
            }
        } else {
            fresh.close();
        }
    }

    /** Closes any duplicate the core did not adopt in the step that saw it. */
    void dropDuplicate(PublicId peer) {
        GossipLink fresh = duplicates.remove(peer);
        if (fresh != null) {
            fresh.close();
        }
    }

    /** Closes and forgets the peer's link; false if it had none. */
    boolean close(PublicId peer) {
        dropDuplicate(peer);
        GossipLink link = links.remove(peer);
        if (link == null) {
            return false;
        }
        link.close();
        return true;
    }

    /** The link closed by itself; true if it was the peer's current link (the core should hear of it). */
    boolean closed(GossipLink link) {
        PublicId peer = link.peer();
        if (peer != null && links.get(peer) == link) {
            links.remove(peer);
            return true;
        }
        return false;
    }

    /** True when a dial to {@code peer} may start (not linked, not being dialled). */
    boolean startDial(PublicId peer) {
        return !links.containsKey(peer) && dialling.add(peer);
    }

    /** True if a dial to {@code peer} was in flight. */
    boolean dialEnded(PublicId peer) {
        return dialling.remove(peer);
    }

    void closeAll() {
        List<GossipLink> open = new ArrayList<>(links.values());
        open.addAll(duplicates.values());
        open.forEach(GossipLink::close);
    }
}
