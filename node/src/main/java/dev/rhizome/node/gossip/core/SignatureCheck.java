package dev.rhizome.node.gossip.core;

import com.google.protobuf.Message;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;

/**
 * Opens signed envelopes for the core. A seam so a simulator of thousands of nodes in one process
 * can verify each distinct envelope once instead of once per node.
 */
@FunctionalInterface
public interface SignatureCheck {

    <T extends Message> Verified<T> open(SignedEnvelope envelope, T prototype) throws SignatureException;

    /** The real check: {@link Envelopes#open}. */
    static SignatureCheck envelopes() {
        return Envelopes::open;
    }
}
