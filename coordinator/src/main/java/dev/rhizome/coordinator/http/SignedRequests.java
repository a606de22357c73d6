package dev.rhizome.coordinator.http;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.UnknownFieldException;
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
            return Envelopes.openStrict(BodyFormat.envelope(request), prototype, claimedSigner);
        } catch (UnknownFieldException e) {
            throw new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, e.getMessage());
        } catch (SignatureException e) {
            metrics.signatureRejected();
            throw new HttpError(HttpResponseStatus.UNAUTHORIZED, Error.Code.BAD_SIGNATURE, e.getMessage());
        }
    }
}
