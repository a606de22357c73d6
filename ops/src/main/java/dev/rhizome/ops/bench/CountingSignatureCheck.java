package dev.rhizome.ops.bench;

import com.google.protobuf.Message;
import dev.rhizome.node.gossip.core.SignatureCheck;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The real signature check, counted: how many Ed25519 verifications the gossip cores of a run
 * make, a figure that does not depend on the machine's load.
 */
final class CountingSignatureCheck implements SignatureCheck {
    private final SignatureCheck real = SignatureCheck.envelopes();
    private final LongAdder count = new LongAdder();
    private final Map<String, LongAdder> byType = new ConcurrentHashMap<>();

    @Override
    public <T extends Message> Verified<T> open(SignedEnvelope envelope, T prototype) throws SignatureException {
        count.increment();
        byType.computeIfAbsent(prototype.getClass().getSimpleName(), t -> new LongAdder()).increment();
        return real.open(envelope, prototype);
    }

    /** Verifications since the last call. */
    long takeCount() {
        return count.sumThenReset();
    }

    /** Verifications by record type since the last call. */
    Map<String, Long> takeByType() {
        Map<String, Long> out = new TreeMap<>();
        byType.forEach((type, n) -> out.put(type, n.sumThenReset()));
        return out;
    }
}
