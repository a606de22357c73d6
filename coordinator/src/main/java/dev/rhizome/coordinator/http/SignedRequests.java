package dev.rhizome.coordinator.http;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.function.Function;

/**
 * Authenticates state-changing requests: the body must be an envelope signed by the key that its
 * record names as its author. Nothing else about a request is looked at before this passes.
 */
final class SignedRequests {
    private final CoordinatorMetrics metrics;

    SignedRequests(CoordinatorMetrics metrics) {
        this.metrics = metrics;
    }

    <T extends Message> Verified<T> open(ApiRequest request, T prototype, Function<T, ByteString> claimedSigner) {
        try {
            return Envelopes.openSignedBy(BodyFormat.envelope(request), prototype, claimedSigner);
        } catch (SignatureException e) {
            metrics.signatureRejected();
            throw new HttpError(HttpResponseStatus.UNAUTHORIZED, Error.Code.BAD_SIGNATURE, e.getMessage());
        }
    }
}
