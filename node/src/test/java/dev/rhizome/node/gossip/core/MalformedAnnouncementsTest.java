package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * An announcement of the peer's own whose envelope has no signature to check (no or an unknown
 * version, a signature of the wrong length: round 29's {@code MalformedEnvelopeException}, a
 * subclass of {@code SignatureException}) is a malformed message, not a forgery: scored as one
 * (-8, what a forgery costs, so four close the link as before) and named so in the link's closing,
 * where it read as a bad signature and an operator looked for a forger among honest peers with a
 * broken encoder. A signature checked and failed is still {@code BAD_SIGNATURE}.
 */
class MalformedAnnouncementsTest {
    private final GossipCore core = new GossipCore(Identity.generate(),
            NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), GossipConfig.defaults(), new Random(1),
            SignatureCheck.envelopes());
    private final long now = 10_000_000;

    @Test
    void anEnvelopeWithNothingToCheckIsScoredAsAMalformedMessage() {
        Peer sender = Peer.connectedTo(core, now);
        List<UnaryOperator<SignedEnvelope>> faults = List.of(
                e -> e.toBuilder().clearSignature().build(),
                e -> e.toBuilder().setVersion(3).build(),
                e -> e.toBuilder().setSignature(ByteString.copyFrom(new byte[10])).build(),
                e -> e.toBuilder().clearVersion().build());
        List<Effect> effects = new ArrayList<>();
        for (int i = 0; i < faults.size(); i++) {
            SignedEnvelope malformed = faults.get(i).apply(sender.inventory(now, Peer.commit(i)));
            effects.addAll(core.onMessage(sender.id, Peer.announce(malformed), now));
        }
        assertThat(core.score(sender.id)).as("each costs a malformed message's -8").isEqualTo(-32.0);
        assertThat(only(effects, Fetch.class)).isEmpty();
        assertThat(only(effects, Disconnect.class)).singleElement()
                .satisfies(d -> assertThat(d.reason()).contains("MALFORMED_MESSAGE").doesNotContain("SIGNATURE"));
    }

    @Test
    void aSignatureCheckedAndFailedIsStillABadSignature() {
        Peer forger = Peer.connectedTo(core, now);
        List<Effect> effects = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Gossip forged = Peer.announce(Peer.tampered(forger.inventory(now, Peer.commit(i))));
            effects.addAll(core.onMessage(forger.id, forged, now));
        }
        assertThat(only(effects, Disconnect.class)).singleElement()
                .satisfies(d -> assertThat(d.reason()).contains("BAD_SIGNATURE"));
    }
}
