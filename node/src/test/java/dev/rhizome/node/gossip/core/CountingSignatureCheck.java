package dev.rhizome.node.gossip.core;

import com.google.protobuf.Message;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import java.util.concurrent.atomic.AtomicInteger;

/** The real check ({@link Envelopes#open}), counting each: for tests of what the core leaves unverified. */
final class CountingSignatureCheck implements SignatureCheck {
    /** How many envelopes were checked, forged ones too. */
    final AtomicInteger checks = new AtomicInteger();

    @Override
    public <T extends Message> dev.rhizome.protocol.envelope.Verified<T> open(SignedEnvelope envelope, T prototype)
            throws SignatureException {
        checks.incrementAndGet();
        return Envelopes.open(envelope, prototype);
    }
}
