package dev.rhizome.protocol.envelope;

import com.google.protobuf.Message;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.PublicId;

/** A record whose envelope signature has been checked, with the envelope it came in. */
public record Verified<T extends Message>(T record, PublicId signer, SignedEnvelope envelope) {
}
