package dev.rhizome.protocol.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.UnknownFields;
import dev.rhizome.protocol.envelope.UnknownFieldException;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.envelope.WrongNetworkException;
import dev.rhizome.protocol.identity.Identity;

/**
 * SignedEnvelope bytes from the wire, and every record type inside one: opening either yields a
 * verified record or a SignatureException / UnknownFieldException, never anything else. Payloads
 * are also signed by a known key so the fuzzer reaches the record parsers behind the signature check.
 */
class EnvelopeFuzzTest {
    private static final Identity SIGNER = Identity.fromSeed(new byte[32]);
    private static final String NETWORK = "fuzz-network";

    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    void openingAnyEnvelopeFailsCleanly(FuzzedDataProvider data) throws Exception {
        Records.Kind kind = data.pickValue(Records.SIGNED);
        boolean signHere = data.consumeBoolean();
        // signed here: for this network (version 2), for another one, or for none (version 1)
        int signedFor = data.consumeInt(0, 2);
        byte[] bytes = data.consumeRemainingAsBytes();
        SignedEnvelope envelope;
        if (signHere) {
            String type = kind.prototype().getDescriptorForType().getFullName();
            ByteString payload = ByteString.copyFrom(bytes);
            String network = signedFor == 0 ? NETWORK : "another-network";
            SignedEnvelope.Builder b = SignedEnvelope.newBuilder().setType(type).setPayload(payload)
                    .setSigner(SIGNER.publicId().toByteString());
            envelope = (signedFor == 2
                    ? b.setVersion(Envelopes.VERSION_1).setSignature(ByteString.copyFrom(SIGNER.sign(
                            Envelopes.signedBytes(type, payload))))
                    : b.setVersion(Envelopes.VERSION).setNetwork(network).setSignature(ByteString.copyFrom(SIGNER.sign(
                            Envelopes.signedBytes(network, type, payload))))).build();
        } else {
            try {
                envelope = SignedEnvelope.parseFrom(bytes);
            } catch (InvalidProtocolBufferException e) {
                return;
            }
        }
        assertThat(Envelopes.id(envelope)).hasSize(64);
        try {
            // Past the signature: the record parser and the unknown-field walk over whatever it parsed.
            Verified<Message> parsed = Envelopes.open(envelope, kind.prototype());
            UnknownFields.find(parsed.record());
        } catch (SignatureException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
        try {
            Verified<Message> opened = Envelopes.openStrict(envelope, kind.prototype(), kind.signer()::apply, NETWORK);
            assertThat(opened.envelope()).isEqualTo(envelope);
            assertThat(opened.envelope().getNetwork()).isEqualTo(NETWORK);
            assertThat(Envelopes.id(opened.envelope())).isEqualTo(Envelopes.id(envelope));
        } catch (SignatureException | UnknownFieldException | WrongNetworkException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }
}
