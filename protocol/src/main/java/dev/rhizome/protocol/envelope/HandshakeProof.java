package dev.rhizome.protocol.envelope;

import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Proof of key possession for a connection: each side signs the nonce the other made for this
 * connection, bound to both ids, so neither a replayed hello nor a relayed proof passes.
 */
public final class HandshakeProof {
    public static final int NONCE_BYTES = 32;
    private static final byte[] DOMAIN = "rhizome-hello-proof-v1\n".getBytes(StandardCharsets.UTF_8);
    private static final SecureRandom RANDOM = new SecureRandom();

    private HandshakeProof() {
    }

    public static byte[] newNonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** {@code prover} signs the nonce that {@code verifier} sent it. */
    public static byte[] sign(Identity prover, byte[] verifierNonce, PublicId verifier) {
        return prover.sign(message(verifierNonce, prover.publicId(), verifier));
    }

    public static boolean verify(PublicId prover, byte[] ourNonce, PublicId us, byte[] proof) {
        return ourNonce != null && ourNonce.length == NONCE_BYTES
                && Identity.verify(prover.bytes(), message(ourNonce, prover, us), proof);
    }

    private static byte[] message(byte[] nonce, PublicId prover, PublicId verifier) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(DOMAIN);
        out.writeBytes(nonce);
        out.writeBytes(prover.bytes());
        out.writeBytes(verifier.bytes());
        return out.toByteArray();
    }
}
