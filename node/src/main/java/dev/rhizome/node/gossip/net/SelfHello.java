package dev.rhizome.node.gossip.net;

import dev.rhizome.proto.v1.SignedEnvelope;

/** This node's signed NodeInfo as the core last signed it, for the hellos new links send; read by event loops. */
final class SelfHello {
    private volatile SignedEnvelope info;

    void signed(SignedEnvelope signed) {
        info = signed;
    }

    /** The NodeInfo for a new link's hello, or null until the protocol is up. */
    SignedEnvelope info() {
        return info;
    }
}
