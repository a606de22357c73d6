package dev.rhizome.node.gossip.core;

import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.PublicId;

/** What the gossip core asks its adapter to do; the core itself performs no I/O. */
public sealed interface Effect {

    /** Send one gossip message to a connected peer. */
    record Send(PublicId to, Gossip message) implements Effect {
    }

    /**
     * Pull the bundle {@code commit} from {@code from} (BundleRequest), verify and import it, then call
     * {@link GossipCore#onFetched} or {@link GossipCore#onFetchFailed}; report
     * {@link GossipCore#onFetchProgress} as bytes arrive, or the core declares the fetch stalled after
     * {@link GossipConfig#fetchStall} and moves on. The core never has two fetches of one commit outstanding.
     */
    record Fetch(PublicId from, String commit) implements Effect {
    }

    /** Abandon a fetch the core gave up on (it stalled, or the commit arrived another way); no report is needed. */
    record CancelFetch(PublicId from, String commit) implements Effect {
    }

    /** Open a gossip connection; report {@link GossipCore#onConnected} or {@link GossipCore#onDialFailed}. */
    record Dial(NodeInfo peer) implements Effect {
    }

    /** Close the connection to {@code peer}; the core has already forgotten it. */
    record Disconnect(PublicId peer, String reason) implements Effect {
    }

    /**
     * Nobody is left to ask for {@code commit}, which the node's work needed ({@link GossipCore#want}):
     * every holder failed, was banned, or none was usable. The adapter fails those waiting for it.
     */
    record Unavailable(String commit, String reason) implements Effect {
    }

    /** A new, verified Result announcement, for the application. */
    record ResultSeen(SignedEnvelope result) implements Effect {
    }
}
