package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.SignedEnvelope;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Names a signed envelope by the SHA-256 of its encoding, so the same envelope sent twice (a node
 * retrying after a lost ack) is recognised whatever body format it came in.
 */
public final class EnvelopeIds {
    private EnvelopeIds() {
    }

    public static String of(SignedEnvelope envelope) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(envelope.toByteArray()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
