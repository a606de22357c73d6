package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.envelope.Envelopes;

/**
 * The network this node's gossip belongs to: its coordinator's network id, learnt once the
 * coordinator answers (a node may start while it is away). Once known, what this node signs as
 * itself names it, and a peer's record signed for another network is refused; records that name
 * no network (envelope version 1, older peers) are still taken, so peers of different versions
 * still talk.
 */
public final class GossipNetwork {
    private volatile String id;

    /** A network not known yet (or never: a test's gossip alone). */
    public static GossipNetwork unnamed() {
        return new GossipNetwork();
    }

    public static GossipNetwork of(String id) {
        GossipNetwork network = new GossipNetwork();
        network.learn(id);
        return network;
    }

    /** Sets the network's id, once it is known; a later call replaces it (a coordinator started afresh). */
    public void learn(String networkId) {
        this.id = Envelopes.checkNetwork(networkId);
    }

    /** The network's id, or null while it is not known. */
    String id() {
        return id;
    }
}
