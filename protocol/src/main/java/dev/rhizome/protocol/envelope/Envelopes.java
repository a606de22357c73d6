package dev.rhizome.protocol.envelope;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Signs records into envelopes and opens them again. Opening verifies before it parses: nothing
 * downstream ever sees a record whose signature did not check out.
 */
public final class Envelopes {
    /** What {@link #sign(Identity, String, Message)} makes: the signed bytes name the record's network. */
    public static final int VERSION = 2;
    /** Records signed before networks were named: still verified where stored, refused as new requests. */
    public static final int VERSION_1 = 1;
    private static final byte[] DOMAIN = "rhizome-envelope-v1\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DOMAIN_2 = "rhizome-envelope-v2\n".getBytes(StandardCharsets.UTF_8);
    /** A network id: no newline (the signed bytes stay unambiguous) and nothing a terminal or URL would mangle. */
    /** An Ed25519 signature's length: anything else is not a signature to check. */
    private static final int SIGNATURE_LENGTH = 64;
    private static final Pattern NETWORK = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private Envelopes() {
    }

    /**
     * Signs {@code record} for {@code network} (envelope version 2): the network's id is part of
     * what is signed, so a coordinator or peer of another network refuses the record.
     */
    public static SignedEnvelope sign(Identity identity, String network, Message record) {
        checkNetwork(network);
        String type = record.getDescriptorForType().getFullName();
        ByteString payload = record.toByteString();
        byte[] signature = identity.sign(signedBytes(network, type, payload));
        return SignedEnvelope.newBuilder()
                .setVersion(VERSION)
                .setType(type)
                .setPayload(payload)
                .setSigner(identity.publicId().toByteString())
                .setSignature(ByteString.copyFrom(signature))
                .setNetwork(network)
                .build();
    }

    /**
     * Signs {@code record} as records were signed before networks were named (version 1): it names
     * no network, and a coordinator refuses it as a new request. What a node's gossip signs until
     * its coordinator has told it the network, and what tests of stored old records make.
     */
    public static SignedEnvelope sign(Identity identity, Message record) {
        String type = record.getDescriptorForType().getFullName();
        ByteString payload = record.toByteString();
        byte[] signature = identity.sign(signedBytes(type, payload));
        return SignedEnvelope.newBuilder()
                .setVersion(VERSION_1)
                .setType(type)
                .setPayload(payload)
                .setSigner(identity.publicId().toByteString())
                .setSignature(ByteString.copyFrom(signature))
                .build();
    }

    /** {@code network}, if it may be a network's id; else the reason is thrown. */
    public static String checkNetwork(String network) {
        if (network == null || !NETWORK.matcher(network).matches()) {
            throw new IllegalArgumentException("a network id is 1 to 64 characters of A-Z a-z 0-9 . _ -, got '"
                    + network + "'");
        }
        return network;
    }

    /**
     * Verifies the envelope and parses its payload as {@code type}.
     *
     * @throws SignatureException naming what is wrong: version, type, signature or payload;
     *         {@link MalformedEnvelopeException} where no signature was checked (version, network, type, lengths)
     */
    public static <T extends Message> Verified<T> open(SignedEnvelope envelope, T prototype)
            throws SignatureException {
        String expectedType = prototype.getDescriptorForType().getFullName();
        if (envelope.getVersion() != VERSION && envelope.getVersion() != VERSION_1) {
            throw new MalformedEnvelopeException(envelope.getVersion() == 0
                    ? "the envelope has no version; a signed " + expectedType + " is envelope version " + VERSION
                    : "unsupported envelope version " + Integer.toUnsignedString(envelope.getVersion())
                            + "; a signed " + expectedType + " is envelope version " + VERSION);
        }
        if (envelope.getVersion() == VERSION && !NETWORK.matcher(envelope.getNetwork()).matches()) {
            throw new MalformedEnvelopeException("a version-2 envelope must name its network (1 to 64 characters of "
                    + "A-Z a-z 0-9 . _ -)");
        }
        if (envelope.getVersion() == VERSION_1 && !envelope.getNetwork().isEmpty()) {
            // not covered by a version-1 signature: anyone could have added it
            throw new MalformedEnvelopeException(
                    "a version-1 envelope names no network, but this one carries an unsigned one");
        }
        if (!expectedType.equals(envelope.getType())) {
            throw new MalformedEnvelopeException("expected a signed " + expectedType + ", got "
                    + (envelope.getType().isEmpty() ? "an envelope with no type" : LogSafe.of(envelope.getType())));
        }
        byte[] signer = envelope.getSigner().toByteArray();
        if (signer.length != PublicId.LENGTH) {
            throw new MalformedEnvelopeException("signer key must be " + PublicId.LENGTH + " bytes, got " + signer.length);
        }
        if (envelope.getSignature().size() != SIGNATURE_LENGTH) {
            throw new MalformedEnvelopeException("signature must be " + SIGNATURE_LENGTH + " bytes (Ed25519), got "
                    + envelope.getSignature().size());
        }
        if (!Identity.verify(signer, signedBytes(envelope),
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
     * else's envelope; an unknown record field is signed but could not be checked or shown. Then
     * requires that the record was signed for {@code network} ({@link #requireNetwork}). Used where
     * records are accepted for storage (the coordinator); gossip stays tolerant of unknown fields
     * so peers of different versions still talk.
     */
    public static <T extends Message> Verified<T> openStrict(SignedEnvelope envelope, T prototype,
            Function<T, ByteString> claimedSigner, String network)
            throws SignatureException, UnknownFieldException, WrongNetworkException {
        Optional<String> outer = UnknownFields.find(envelope);
        if (outer.isPresent()) {
            throw new UnknownFieldException("the envelope carries fields this coordinator does not know; "
                    + "only version, type, payload, signer, signature and network are allowed");
        }
        Verified<T> verified = openSignedBy(envelope, prototype, claimedSigner);
        Optional<String> inner = UnknownFields.find(verified.record());
        if (inner.isPresent()) {
            throw new UnknownFieldException("the signed " + prototype.getDescriptorForType().getFullName()
                    + " carries fields this coordinator does not know (in " + inner.get() + ")");
        }
        requireNetwork(verified, network);
        return verified;
    }

    /**
     * Requires that a verified record was signed for {@code network}: a record made for another
     * network (a capture replayed here), or naming none (version 1), is refused. Checked after
     * the signature, so the refusal says the signature is good: the signer is not a forger, the
     * record is merely not this network's.
     */
    public static void requireNetwork(Verified<?> verified, String network) throws WrongNetworkException {
        SignedEnvelope envelope = verified.envelope();
        String what = verified.record().getDescriptorForType().getName();
        if (envelope.getVersion() == VERSION_1) {
            throw new WrongNetworkException(what + " is signed in envelope version 1, which names no network; "
                    + "this is network " + network + ": sign it for this network (envelope version 2, "
                    + "network_id of GET /v1/stats)");
        }
        if (!envelope.getNetwork().equals(network)) {
            throw new WrongNetworkException(what + " is signed for network " + envelope.getNetwork()
                    + ", not for this network " + network + " (a record made for another network is never "
                    + "accepted here)");
        }
    }

    /**
     * A signed record's identity: the hex SHA-256 of exactly the bytes its signature covers (domain
     * tag, network in version 2, type, payload). Unsigned parts of the envelope (the signature's own
     * encoding, extra fields) can't change it, so re-wrapping someone's record does not make a new
     * one, and the same record signed for two networks is two records.
     */
    public static String id(SignedEnvelope envelope) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(signedBytes(envelope)));
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

    /**
     * Feeds {@code digest} the length of {@link #signedBytes(SignedEnvelope)} as 4 big-endian bytes,
     * then those bytes, without copying the payload: what a message id is made of, for every
     * message received.
     */
    public static void digestSignedBytes(MessageDigest digest, SignedEnvelope envelope) {
        byte[] head = head(envelope);
        int length = head.length + envelope.getPayload().size();
        digest.update(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
        digest.update(head);
        digest.update(envelope.getPayload().asReadOnlyByteBuffer());
    }

    /**
     * What the envelope's signature covers, by its version: version 2 (and any but 1, which fail to
     * open) {@code "rhizome-envelope-v2\n" network "\n" type "\n" payload}; version 1
     * {@code "rhizome-envelope-v1\n" type "\n" payload}.
     */
    public static byte[] signedBytes(SignedEnvelope envelope) {
        byte[] head = head(envelope);
        ByteString payload = envelope.getPayload();
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.length + payload.size());
        out.writeBytes(head);
        out.writeBytes(payload.toByteArray());
        return out.toByteArray();
    }

    /** Version 1's signed bytes: the domain tag, the type name and a newline, then the payload. */
    public static byte[] signedBytes(String type, ByteString payload) {
        return concat(DOMAIN, type, payload);
    }

    /** Version 2's signed bytes: the domain tag, the network and a newline, the type and a newline, the payload. */
    public static byte[] signedBytes(String network, String type, ByteString payload) {
        return concat(DOMAIN_2, network + "\n" + type, payload);
    }

    private static byte[] head(SignedEnvelope envelope) {
        String typeLine = envelope.getVersion() == VERSION_1 ? envelope.getType()
                : envelope.getNetwork() + "\n" + envelope.getType();
        byte[] domain = envelope.getVersion() == VERSION_1 ? DOMAIN : DOMAIN_2;
        byte[] text = typeLine.getBytes(StandardCharsets.UTF_8);
        byte[] head = new byte[domain.length + text.length + 1];
        System.arraycopy(domain, 0, head, 0, domain.length);
        System.arraycopy(text, 0, head, domain.length, text.length);
        head[head.length - 1] = '\n';
        return head;
    }

    private static byte[] concat(byte[] domain, String typeLine, ByteString payload) {
        byte[] text = typeLine.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(domain.length + text.length + 1 + payload.size());
        out.writeBytes(domain);
        out.writeBytes(text);
        out.write('\n');
        out.writeBytes(payload.toByteArray());
        return out.toByteArray();
    }
}
