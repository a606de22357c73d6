package dev.rhizome.protocol.envelope;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Function;

/**
 * Signs records into envelopes and opens them again. Opening verifies before it parses: nothing
 * downstream ever sees a record whose signature did not check out.
 */
public final class Envelopes {
    public static final int VERSION = 1;
    private static final byte[] DOMAIN = "rhizome-envelope-v1\n".getBytes(StandardCharsets.UTF_8);

    private Envelopes() {
    }

    public static SignedEnvelope sign(Identity identity, Message record) {
        String type = record.getDescriptorForType().getFullName();
        ByteString payload = record.toByteString();
        byte[] signature = identity.sign(signedBytes(type, payload));
        return SignedEnvelope.newBuilder()
                .setVersion(VERSION)
                .setType(type)
                .setPayload(payload)
                .setSigner(identity.publicId().toByteString())
                .setSignature(ByteString.copyFrom(signature))
                .build();
    }

    /**
     * Verifies the envelope and parses its payload as {@code type}.
     *
     * @throws SignatureException naming what is wrong: version, type, signature or payload
     */
    public static <T extends Message> Verified<T> open(SignedEnvelope envelope, T prototype)
            throws SignatureException {
        String expectedType = prototype.getDescriptorForType().getFullName();
        if (envelope.getVersion() != VERSION) {
            throw new SignatureException("unsupported envelope version " + envelope.getVersion());
        }
        if (!expectedType.equals(envelope.getType())) {
            throw new SignatureException("expected a signed " + expectedType + ", got " + envelope.getType());
        }
        byte[] signer = envelope.getSigner().toByteArray();
        if (signer.length != PublicId.LENGTH) {
            throw new SignatureException("signer key must be " + PublicId.LENGTH + " bytes, got " + signer.length);
        }
        if (!Identity.verify(signer, signedBytes(envelope.getType(), envelope.getPayload()),
                envelope.getSignature().toByteArray())) {
            throw new SignatureException("signature of " + expectedType + " does not verify for signer "
                    + PublicId.of(signer).shortForm());
        }
        @SuppressWarnings("unchecked")
        Parser<T> parser = (Parser<T>) prototype.getParserForType();
        try {
            return new Verified<>(parser.parseFrom(envelope.getPayload()), PublicId.of(signer), envelope);
        } catch (InvalidProtocolBufferException e) {
            throw new SignatureException("signed payload is not a valid " + expectedType + ": " + e.getMessage(), e);
        }
    }

    /**
     * Like {@link #open}, and refuses fields this build does not know, in the envelope and anywhere
     * in the record: an unknown envelope field is unsigned, so anyone could add one to someone
     * else's envelope; an unknown record field is signed but could not be checked or shown. Used
     * where records are accepted for storage (the coordinator); gossip stays tolerant so peers of
     * different versions still talk.
     */
    public static <T extends Message> Verified<T> openStrict(SignedEnvelope envelope, T prototype,
            Function<T, ByteString> claimedSigner) throws SignatureException, UnknownFieldException {
        Optional<String> outer = UnknownFields.find(envelope);
        if (outer.isPresent()) {
            throw new UnknownFieldException("the envelope carries fields this coordinator does not know; "
                    + "only version, type, payload, signer and signature are allowed");
        }
        Verified<T> verified = openSignedBy(envelope, prototype, claimedSigner);
        Optional<String> inner = UnknownFields.find(verified.record());
        if (inner.isPresent()) {
            throw new UnknownFieldException("the signed " + prototype.getDescriptorForType().getFullName()
                    + " carries fields this coordinator does not know (in " + inner.get() + ")");
        }
        return verified;
    }

    /**
     * A signed record's identity: the hex SHA-256 of exactly the bytes its signature covers (domain
     * tag, type, payload). Unsigned parts of the envelope (the signature's own encoding, extra
     * fields) can't change it, so re-wrapping someone's record does not make a new one.
     */
    public static String id(SignedEnvelope envelope) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(signedBytes(envelope.getType(), envelope.getPayload())));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * Like {@link #open} and also requires that the signer is the key the record names, e.g. a
     * Result's runner: a valid signature by someone else is still a forgery.
     */
    public static <T extends Message> Verified<T> openSignedBy(SignedEnvelope envelope, T prototype,
            Function<T, ByteString> claimedSigner) throws SignatureException {
        Verified<T> verified = open(envelope, prototype);
        ByteString claimed = claimedSigner.apply(verified.record());
        if (!claimed.equals(envelope.getSigner())) {
            throw new SignatureException(prototype.getDescriptorForType().getName() + " names "
                    + PublicId.hex(claimed) + " but is signed by " + verified.signer());
        }
        return verified;
    }

    /** What a signature covers: the domain tag, the type name and a newline, then the payload. */
    /**
     * Feeds {@code digest} the length of {@link #signedBytes} as 4 big-endian bytes, then those
     * bytes, without copying the payload: what a message id is made of, for every message received.
     */
    public static void digestSignedBytes(MessageDigest digest, String type, ByteString payload) {
        byte[] typeBytes = type.getBytes(StandardCharsets.UTF_8);
        int length = DOMAIN.length + typeBytes.length + 1 + payload.size();
        digest.update(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
        digest.update(DOMAIN);
        digest.update(typeBytes);
        digest.update((byte) '\n');
        digest.update(payload.asReadOnlyByteBuffer());
    }

    public static byte[] signedBytes(String type, ByteString payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(DOMAIN.length + type.length() + 1 + payload.size());
        out.writeBytes(DOMAIN);
        out.writeBytes(type.getBytes(StandardCharsets.UTF_8));
        out.write('\n');
        out.writeBytes(payload.toByteArray());
        return out.toByteArray();
    }
}
