package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A message id fed without building the signed bytes is the id built from them, part for part. */
class SeenCacheIdTest {
    static ByteString built(SignedEnvelope envelope) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (ByteString part : List.of(ByteString.copyFrom(Envelopes.signedBytes(envelope.getType(), envelope.getPayload())),
                envelope.getSigner(), envelope.getSignature())) {
            digest.update(ByteBuffer.allocate(Integer.BYTES).putInt(0, part.size()));
            digest.update(part.asReadOnlyByteBuffer());
        }
        return ByteString.copyFrom(digest.digest());
    }

    @Test
    void theIdIsTheSha256OfTheLengthPrefixedSignedBytesSignerAndSignature() throws Exception {
        Peer peer = new Peer();
        for (SignedEnvelope e : List.of(peer.inventory(1_000, Peer.commit(1)), peer.inventory(2_000, Peer.commit(1), Peer.commit(2)),
                peer.hello(5), Peer.tampered(peer.hello(5)), Envelopes.sign(Identity.generate(), peer.info))) {
            assertThat(SeenCache.idOf(e)).isEqualTo(built(e));
            assertThat(SeenCache.idOf(e)).isEqualTo(SeenCache.idOf(e)); // the per-thread digest starts clean each time
        }
        assertThat(SeenCache.idOf(peer.hello(5))).isNotEqualTo(SeenCache.idOf(Peer.tampered(peer.hello(5))));
    }
}
