package dev.rhizome.node.gossip.net;

import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;

/**
 * Checks the hello that opens a gossip link: our protocol version, a NodeInfo signed by the node
 * it describes, the same node named in the hello, signed recently (a NodeInfo copied from peer
 * exchange goes stale), and, when we dialled, the node we meant to reach.
 */
final class Handshake {
    /** We re-sign our own NodeInfo every minute; older than this in a hello means it was copied. */
    static final long MAX_AGE_MS = 10 * 60_000;
    static final long MAX_SKEW_MS = 60_000;

    private Handshake() {
    }

    /** The peer's verified NodeInfo. */
    static Verified<NodeInfo> check(Hello hello, PublicId self, PublicId expected, long nowMs) throws HandshakeException {
        String problem = PeerMessages.helloProblem(hello);
        if (problem != null) {
            throw new HandshakeException(problem);
        }
        if (!hello.hasNodeInfo()) {
            throw new HandshakeException("hello carries no NodeInfo");
        }
        Verified<NodeInfo> info;
        try {
            info = Envelopes.openSignedBy(hello.getNodeInfo(), NodeInfo.getDefaultInstance(), NodeInfo::getNode);
        } catch (SignatureException e) {
            throw new HandshakeException("NodeInfo refused: " + e.getMessage());
        }
        if (!info.signer().toByteString().equals(hello.getNode())) {
            throw new HandshakeException("hello names node " + PublicId.hex(hello.getNode()) + " but its NodeInfo is "
                    + info.signer());
        }
        if (info.signer().equals(self)) {
            throw new HandshakeException("is ourselves");
        }
        if (expected != null && !expected.equals(info.signer())) {
            throw new HandshakeException("is node " + info.signer().shortForm() + ", we dialled " + expected.shortForm());
        }
        long time = info.record().getTimeMs();
        if (time < nowMs - MAX_AGE_MS || time > nowMs + MAX_SKEW_MS) {
            throw new HandshakeException("NodeInfo signed at " + time + " is outside the window around " + nowMs);
        }
        return info;
    }

    static final class HandshakeException extends Exception {
        HandshakeException(String message) {
            super(message);
        }
    }
}
