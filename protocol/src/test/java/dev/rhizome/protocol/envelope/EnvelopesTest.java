package dev.rhizome.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.Identity;
import org.junit.jupiter.api.Test;

class EnvelopesTest {
    private final Identity runner = Identity.generate();
    private final Result result = Result.newBuilder()
            .setCommit("a".repeat(40)).setMetric(2.5).setRunner(runner.publicId().toByteString()).build();

    @Test
    void signedRecordOpensToTheSameRecordAndSigner() throws SignatureException {
        SignedEnvelope envelope = Envelopes.sign(runner, result);

        Verified<Result> opened = Envelopes.openSignedBy(envelope, Result.getDefaultInstance(), Result::getRunner);

        assertThat(opened.record()).isEqualTo(result);
        assertThat(opened.signer()).isEqualTo(runner.publicId());
    }

    @Test
    void alteredPayloadIsRefused() {
        SignedEnvelope envelope = Envelopes.sign(runner, result);
        SignedEnvelope altered = envelope.toBuilder()
                .setPayload(result.toBuilder().setMetric(1.0).build().toByteString()).build();

        assertThatThrownBy(() -> Envelopes.open(altered, Result.getDefaultInstance()))
                .isInstanceOf(SignatureException.class).hasMessageContaining("does not verify");
    }

    @Test
    void recordSignedBySomeoneElseThanItNamesIsAForgery() {
        Identity forger = Identity.generate();
        SignedEnvelope forged = Envelopes.sign(forger, result);

        assertThatThrownBy(() -> Envelopes.openSignedBy(forged, Result.getDefaultInstance(), Result::getRunner))
                .isInstanceOf(SignatureException.class).hasMessageContaining("but is signed by");
    }

    @Test
    void signatureCannotBeReplayedAsAnotherType() {
        SignedEnvelope envelope = Envelopes.sign(runner, result);
        SignedEnvelope retyped = envelope.toBuilder().setType("rhizome.v1.Paper").build();

        assertThatThrownBy(() -> Envelopes.open(retyped, Paper.getDefaultInstance()))
                .isInstanceOf(SignatureException.class).hasMessageContaining("does not verify");
        assertThatThrownBy(() -> Envelopes.open(envelope, Paper.getDefaultInstance()))
                .isInstanceOf(SignatureException.class).hasMessageContaining("expected a signed rhizome.v1.Paper");
    }

    @Test
    void malformedKeysAndSignaturesAreRefusedNotThrown() {
        SignedEnvelope envelope = Envelopes.sign(runner, result);

        assertThatThrownBy(() -> Envelopes.open(envelope.toBuilder().setSigner(ByteString.copyFrom(new byte[5])).build(),
                Result.getDefaultInstance())).isInstanceOf(SignatureException.class).hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> Envelopes.open(envelope.toBuilder().setSignature(ByteString.EMPTY).build(),
                Result.getDefaultInstance())).isInstanceOf(SignatureException.class);
        assertThatThrownBy(() -> Envelopes.open(envelope.toBuilder().setVersion(9).build(),
                Result.getDefaultInstance())).isInstanceOf(SignatureException.class).hasMessageContaining("version");
    }
}
