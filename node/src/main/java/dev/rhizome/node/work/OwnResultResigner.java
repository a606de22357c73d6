package dev.rhizome.node.work;

import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.identity.Identity;
import java.util.Optional;

/**
 * Which results waiting in the outbox must be signed again before they are sent: those signed
 * version 1 (for no network, by a node from before round 15) that this node signed itself as their
 * runner. A coordinator refuses version 1 for good ({@code WRONG_NETWORK}); the result is the
 * node's own work, which it holds the key for, so it is signed again for the network instead of
 * being moved aside. A result signed by another key is never touched (this node cannot sign for
 * it, and would not). Pure: no I/O.
 */
final class OwnResultResigner {
    private final Identity self;

    OwnResultResigner(Identity self) {
        this.self = self;
    }

    /** The result to sign again for the network, or empty when {@code waiting} goes as it is. */
    Optional<Result> toResign(SignedEnvelope waiting) {
        if (waiting.getVersion() != Envelopes.VERSION_1 || !waiting.getSigner().equals(self.publicId().toByteString())
                || !Result.getDescriptor().getFullName().equals(waiting.getType())) {
            return Optional.empty();
        }
        try {
            // the signature is checked first: bytes changed on disk are not signed again as ours
            Result result = Envelopes.openSignedBy(waiting, Result.getDefaultInstance(), Result::getRunner).record();
            return Optional.of(result);
        } catch (RuntimeException | SignatureException e) {
            return Optional.empty();  // sent as it is, and refused as it is
        }
    }
}
