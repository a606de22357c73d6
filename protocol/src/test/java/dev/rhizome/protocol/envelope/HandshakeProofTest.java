package dev.rhizome.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.identity.Identity;
import org.junit.jupiter.api.Test;

class HandshakeProofTest {
    private final Identity alice = Identity.generate();
    private final Identity bob = Identity.generate();

    @Test
    void aProofOverOurNonceVerifies() {
        byte[] nonce = HandshakeProof.newNonce();
        byte[] proof = HandshakeProof.sign(bob, nonce, alice.publicId());
        assertThat(HandshakeProof.verify(bob.publicId(), nonce, alice.publicId(), proof)).isTrue();
    }

    @Test
    void aProofForAnotherNonceAnotherVerifierOrByAnotherKeyFails() {
        byte[] nonce = HandshakeProof.newNonce();
        byte[] proof = HandshakeProof.sign(bob, nonce, alice.publicId());
        Identity mallory = Identity.generate();

        assertThat(HandshakeProof.verify(bob.publicId(), HandshakeProof.newNonce(), alice.publicId(), proof)).isFalse();
        assertThat(HandshakeProof.verify(bob.publicId(), nonce, mallory.publicId(), proof)).isFalse();
        assertThat(HandshakeProof.verify(mallory.publicId(), nonce, alice.publicId(), proof)).isFalse();
        assertThat(HandshakeProof.verify(bob.publicId(), new byte[3], alice.publicId(), proof)).isFalse();
        assertThat(HandshakeProof.verify(bob.publicId(), nonce, alice.publicId(), new byte[64])).isFalse();
    }
}
