package dev.rhizome.coordinator.store;

import com.google.protobuf.Message;
import dev.rhizome.proto.v1.SignedEnvelope;

/** A record as stored: parsed, with the exact envelope it arrived in. */
public record Stored<T extends Message>(T record, SignedEnvelope envelope) {
}
