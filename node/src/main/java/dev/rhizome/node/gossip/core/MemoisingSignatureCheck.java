package dev.rhizome.node.gossip.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.Message;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;

/**
 * Verifies each distinct envelope once and remembers the verdict, for simulators and tests that
 * run many cores in one process: a node's announcement reaches thousands of simulated nodes, and
 * re-verifying the same bytes for each would dominate the run.
 */
public final class MemoisingSignatureCheck implements SignatureCheck {
    private final SignatureCheck delegate;
    private final Cache<SignedEnvelope, Object> verdicts; // a Verified, or the SignatureException

    public MemoisingSignatureCheck(SignatureCheck delegate, long maxEntries) {
        this.delegate = delegate;
        this.verdicts = Caffeine.newBuilder().maximumSize(maxEntries).executor(Runnable::run).build();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends Message> Verified<T> open(SignedEnvelope envelope, T prototype) throws SignatureException {
        Object verdict = verdicts.getIfPresent(envelope);
        if (verdict instanceof Verified<?> v && prototype.getClass().isInstance(v.record())) {
            return (Verified<T>) v;
        }
        if (verdict instanceof SignatureException e) {
            throw e;
        }
        try {
            Verified<T> verified = delegate.open(envelope, prototype);
            verdicts.put(envelope, verified);
            return verified;
        } catch (SignatureException e) {
            verdicts.put(envelope, e);
            throw e;
        }
    }
}
