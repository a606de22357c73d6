package dev.rhizome.coordinator.http;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.rhizome.coordinator.core.RecordBounds;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.MalformedEnvelopeException;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.UnknownFieldException;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.envelope.WrongNetworkException;
import dev.rhizome.protocol.identity.PublicId;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Authenticates state-changing requests: the body must be an envelope signed by the key that its
 * record names as its author, for this coordinator's network (a record captured on another network
 * is refused, {@code 403 WRONG_NETWORK}), and that key must be admitted (not banned by an operator). Nothing
 * else about a request is looked at before this passes. Admission and the bounds on every field of
 * the record ({@link RecordBounds}) are checked here, once for every signed route, so that a new
 * route cannot forget them.
 */
final class SignedRequests {
    /** Decides whether a verified signer may act at all; throws a refusal when not. */
    @FunctionalInterface
    interface Admission {
        /** Everyone is admitted: for tests of the envelope alone. */
        Admission ANYONE = (signer, action) -> { };

        /** @param action what the request would do, e.g. "claim work", for the refusal's message */
        void admit(PublicId signer, String action);
    }

    /** What each record type asks to do, as the ban's refusal names it. */
    private static final Map<String, String> ACTIONS = Map.ofEntries(
            Map.entry(Seed.getDescriptor().getFullName(), "publish seeds"),
            Map.entry(Direction.getDescriptor().getFullName(), "open directions"),
            Map.entry(DirectionClosure.getDescriptor().getFullName(), "close directions"),
            Map.entry(KeyBan.getDescriptor().getFullName(), "ban keys"),
            Map.entry(TrialRequeueOrder.getDescriptor().getFullName(), "queue trials again"),
            Map.entry(ClaimRequest.getDescriptor().getFullName(), "claim work"),
            Map.entry(LeaseRenewal.getDescriptor().getFullName(), "renew leases"),
            Map.entry(LeaseGiveBack.getDescriptor().getFullName(), "give back leases"),
            Map.entry(ExploreDone.getDescriptor().getFullName(), "report explorations done"),
            Map.entry(Experiment.getDescriptor().getFullName(), "propose experiments"),
            Map.entry(Result.getDescriptor().getFullName(), "report results"),
            Map.entry(Paper.getDescriptor().getFullName(), "publish papers"),
            Map.entry(NodeAnnouncement.getDescriptor().getFullName(), "announce nodes"));

    private final CoordinatorMetrics metrics;
    private final Admission admission;
    /** The network every record must be signed for (read from the store on first use). */
    private final Supplier<String> network;

    SignedRequests(CoordinatorMetrics metrics, Admission admission, Supplier<String> network) {
        this.metrics = metrics;
        this.admission = admission;
        this.network = network;
    }

    <T extends Message> Verified<T> open(ApiRequest request, T prototype, Function<T, ByteString> claimedSigner) {
        Verified<T> verified;
        try {
            verified = Envelopes.openStrict(BodyFormat.envelope(request), prototype, claimedSigner, network.get());
        } catch (WrongNetworkException e) {
            // A good signature on a record made for another network (or for none): a replay, or a
            // client that signs the old way; not counted as a forgery.
            throw new HttpError(HttpResponseStatus.FORBIDDEN, Error.Code.WRONG_NETWORK, e.getMessage());
        } catch (UnknownFieldException e) {
            throw new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, e.getMessage());
        } catch (MalformedEnvelopeException e) {
            // No signature was checked ({}, no version, another record type than the route's): a
            // malformed request, not a forgery, so not counted among rejected signatures, where a
            // client's broken encoder read as an attack on its keys and an attacker's noise as forgeries.
            throw new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, e.getMessage());
        } catch (SignatureException e) {
            if (e.getCause() instanceof com.google.protobuf.InvalidProtocolBufferException) {
                // The signature checked out; what it covers is not the record (a truncated field,
                // groups nested past protobuf's limit): an unparsable body, not a forgery.
                throw new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, e.getMessage());
            }
            metrics.signatureRejected();
            throw new HttpError(HttpResponseStatus.UNAUTHORIZED, Error.Code.BAD_SIGNATURE, e.getMessage());
        }
        admission.admit(verified.signer(), action(prototype));
        // Every field of every record is bounded here, once for all routes (a new field included).
        RecordBounds.check(verified.record());
        return verified;
    }

    static String action(Message prototype) {
        String name = prototype.getDescriptorForType().getFullName();
        return ACTIONS.getOrDefault(name, "send " + prototype.getDescriptorForType().getName() + " requests");
    }
}
