package dev.rhizome.ops.audit;

import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;
import java.util.ArrayList;
import java.util.List;

/** Checks signed results offline, as anyone holding the history can: nothing is taken on trust. */
public final class SignedResults {
    private final List<Verified<Result>> valid = new ArrayList<>();
    private final List<String> invalid = new ArrayList<>();

    public static SignedResults check(List<SignedEnvelope> envelopes) {
        SignedResults out = new SignedResults();
        for (SignedEnvelope e : envelopes) {
            try {
                out.valid.add(Envelopes.openSignedBy(e, Result.getDefaultInstance(), Result::getRunner));
            } catch (SignatureException ex) {
                out.invalid.add(ex.getMessage());
            }
        }
        return out;
    }

    public List<Verified<Result>> valid() {
        return valid;
    }

    /** Why each invalid envelope failed. */
    public List<String> invalid() {
        return invalid;
    }
}
