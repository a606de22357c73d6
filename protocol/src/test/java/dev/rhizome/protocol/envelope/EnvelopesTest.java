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

    /** A refusal's reason is logged by whoever was sent the envelope: the sender's type name in it is escaped and cut short. */
    @Test
    void anEnvelopesOwnTypeNameIsEscapedAndCutShortInItsRefusal() {
        SignedEnvelope retyped = Envelopes.sign(runner, result).toBuilder()
                .setType("rhizome.v1.Nothing\n12:00:00.000 ERROR forged " + "x".repeat(900_000)).build();

        assertThatThrownBy(() -> Envelopes.open(retyped, Result.getDefaultInstance()))
                .isInstanceOf(SignatureException.class).hasMessageContaining("got rhizome.v1.Nothing\\n12:00")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").hasSizeLessThan(1_000));
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

    @Test
    void onlyASignatureCheckedAndFailedIsAForgeryTheRestIsMalformed() {
        SignedEnvelope envelope = Envelopes.sign(runner, "net-a", result);
        for (SignedEnvelope malformed : new SignedEnvelope[] {SignedEnvelope.getDefaultInstance(),
                envelope.toBuilder().clearVersion().build(), envelope.toBuilder().clearNetwork().build(),
                envelope.toBuilder().setType("rhizome.v1.Paper").build(), envelope.toBuilder().clearSigner().build(),
                envelope.toBuilder().setSignature(envelope.getSignature().substring(1)).build()}) {
            assertThatThrownBy(() -> Envelopes.open(malformed, Result.getDefaultInstance()))
                    .as("%s", malformed).isInstanceOf(MalformedEnvelopeException.class);
        }
        byte[] flipped = envelope.getSignature().toByteArray();
        flipped[0] ^= 1;
        assertThatThrownBy(() -> Envelopes.open(envelope.toBuilder().setSignature(ByteString.copyFrom(flipped)).build(),
                Result.getDefaultInstance())).isNotInstanceOf(MalformedEnvelopeException.class)
                .hasMessageContaining("does not verify");
        assertThatThrownBy(() -> Envelopes.open(envelope.toBuilder().setNetwork("net-b").build(),
                Result.getDefaultInstance())).isNotInstanceOf(MalformedEnvelopeException.class);
    }

    @Test
    void aRecordSignedForANetworkOpensThereAndNowhereElse() throws Exception {
        SignedEnvelope envelope = Envelopes.sign(runner, "net-a", result);

        assertThat(envelope.getVersion()).isEqualTo(Envelopes.VERSION);
        assertThat(envelope.getNetwork()).isEqualTo("net-a");
        assertThat(Envelopes.openStrict(envelope, Result.getDefaultInstance(), Result::getRunner, "net-a").record())
                .isEqualTo(result);
        assertThatThrownBy(() -> Envelopes.openStrict(envelope, Result.getDefaultInstance(), Result::getRunner, "net-b"))
                .isInstanceOf(WrongNetworkException.class).hasMessageContaining("net-a").hasMessageContaining("net-b");
    }

    @Test
    void theNetworkIsSignedSoRenamingItBreaksTheSignature() {
        SignedEnvelope renamed = Envelopes.sign(runner, "net-a", result).toBuilder().setNetwork("net-b").build();

        assertThatThrownBy(() -> Envelopes.open(renamed, Result.getDefaultInstance()))
                .isInstanceOf(SignatureException.class).hasMessageContaining("does not verify");
        // nor can a version-2 record pass for a version-1 one (which would name no network)
        SignedEnvelope downgraded = Envelopes.sign(runner, "net-a", result).toBuilder()
                .setVersion(Envelopes.VERSION_1).clearNetwork().build();
        assertThatThrownBy(() -> Envelopes.open(downgraded, Result.getDefaultInstance()))
                .isInstanceOf(SignatureException.class).hasMessageContaining("does not verify");
    }

    @Test
    void oldRecordsThatNameNoNetworkStillVerifyButAreNotAcceptedAsNew() throws Exception {
        SignedEnvelope old = Envelopes.sign(runner, result);

        assertThat(old.getVersion()).isEqualTo(Envelopes.VERSION_1);
        assertThat(Envelopes.openSignedBy(old, Result.getDefaultInstance(), Result::getRunner).record()).isEqualTo(result);
        // its id is what it always was: the hash of version 1's signed bytes
        assertThat(Envelopes.id(old)).isEqualTo(java.util.HexFormat.of().formatHex(java.security.MessageDigest
                .getInstance("SHA-256").digest(Envelopes.signedBytes(old.getType(), old.getPayload()))));
        assertThatThrownBy(() -> Envelopes.openStrict(old, Result.getDefaultInstance(), Result::getRunner, "net-a"))
                .isInstanceOf(WrongNetworkException.class).hasMessageContaining("version 1");
        // a network added to an old record is unsigned: refused, not believed
        assertThatThrownBy(() -> Envelopes.open(old.toBuilder().setNetwork("net-a").build(), Result.getDefaultInstance()))
                .isInstanceOf(SignatureException.class).hasMessageContaining("unsigned");
    }

    @Test
    void theSameRecordSignedForTwoNetworksIsTwoRecords() {
        assertThat(Envelopes.id(Envelopes.sign(runner, "net-a", result)))
                .isNotEqualTo(Envelopes.id(Envelopes.sign(runner, "net-b", result)))
                .isNotEqualTo(Envelopes.id(Envelopes.sign(runner, result)));
    }

    @Test
    void aNetworkIdThatCouldBlurTheSignedBytesIsRefused() {
        // a newline in the network would let "a\nb" + type "c" read as "a" + type "b\nc"
        assertThatThrownBy(() -> Envelopes.sign(runner, "a\nrhizome.v1.Result", result))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("network id");
        assertThatThrownBy(() -> Envelopes.sign(runner, "", result)).isInstanceOf(IllegalArgumentException.class);
        SignedEnvelope blank = Envelopes.sign(runner, "net-a", result).toBuilder().clearNetwork().build();
        assertThatThrownBy(() -> Envelopes.open(blank, Result.getDefaultInstance()))
                .isInstanceOf(SignatureException.class).hasMessageContaining("must name its network");
    }
}
