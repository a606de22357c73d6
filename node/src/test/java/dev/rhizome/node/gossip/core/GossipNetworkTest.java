package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Gossip is bound to its coordinator's network: a peer's record signed for another network, or
 * for none (version 1) once this node knows its own, is refused (a node of that network, an older
 * node, or a capture of its record replayed here) without scoring its signer as a forger; one that
 * names this network is taken; what this node signs names its network.
 */
class GossipNetworkTest {
    final GossipConfig config = GossipConfig.defaults();
    final GossipNetwork network = GossipNetwork.of("net-a");
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000)
            .build(), config, new Random(1), SignatureCheck.envelopes(), Wants.everything(), network);
    final long now = 10_000_000;

    @Test
    void aHelloSignedForAnotherNetworkClosesTheLinkWithoutScoringItsSigner() {
        Peer stranger = new Peer();
        SignedEnvelope hello = Envelopes.sign(stranger.identity, "net-b", stranger.info.toBuilder().setTimeMs(now).build());

        List<Effect> effects = core.onConnected(stranger.id, hello, false, now);

        assertThat(only(effects, Disconnect.class)).singleElement()
                .satisfies(d -> assertThat(d.reason()).contains("net-b").contains("net-a"));
        assertThat(core.connectedPeers()).doesNotContain(stranger.id);
        assertThat(core.score(stranger.id)).isZero();
    }

    @Test
    void anInventoryOfAnotherNetworkIsRefusedAndThoseOfThisNetworkAreTaken() {
        Peer peer = new Peer();
        assertThat(core.onConnected(peer.id, Envelopes.sign(peer.identity, "net-a",
                peer.info.toBuilder().setTimeMs(now).build()), false, now)).noneMatch(e -> e instanceof Disconnect);

        SignedEnvelope elsewhere = inventory(peer, "net-b", Peer.commit(1));
        assertThat(only(core.onMessage(peer.id, Peer.announce(elsewhere), now), Fetch.class)).isEmpty();
        assertThat(core.score(peer.id)).isZero();
        assertThat(core.connectedPeers()).contains(peer.id);

        assertThat(only(core.onMessage(peer.id, Peer.announce(inventory(peer, "net-a", Peer.commit(2))), now),
                Fetch.class)).hasSize(1);
        // a version-1 inventory (no network: an older peer's, or a capture from any network) is refused
        assertThat(only(peer.announces(core, now, Peer.commit(3)), Fetch.class)).isEmpty();
        assertThat(core.score(peer.id)).isZero();
    }

    @Test
    void aVersionOneHelloClosesTheLinkOnceTheNetworkIsKnownAndIsTakenBefore() {
        Peer older = new Peer();
        List<Effect> effects = core.onConnected(older.id, older.hello(now), false, now);
        assertThat(only(effects, Disconnect.class)).singleElement()
                .satisfies(d -> assertThat(d.reason()).contains("version 1").contains("net-a").contains("upgrade"));
        assertThat(core.score(older.id)).isZero();

        GossipCore unknownYet = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.11")
                .setPort(7000).build(), config, new Random(3), SignatureCheck.envelopes(), Wants.everything(),
                GossipNetwork.unnamed());
        Peer.connectedTo(unknownYet, now);  // a node that never learnt its network still takes it
    }

    @Test
    void whatThisNodeSignsNamesItsNetworkOnceKnown() {
        GossipNetwork unknownYet = GossipNetwork.unnamed();
        GossipCore starting = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.10").setPort(7000)
                .build(), config, new Random(2), SignatureCheck.envelopes(), Wants.everything(), unknownYet);
        assertThat(starting.signedSelfInfo(now).getVersion()).isEqualTo(Envelopes.VERSION_1);

        unknownYet.learn("net-a");

        SignedEnvelope resigned = starting.signedSelfInfo(now + config.seenTtl().toMillis());
        assertThat(resigned.getVersion()).isEqualTo(Envelopes.VERSION);
        assertThat(resigned.getNetwork()).isEqualTo("net-a");
        assertThat(core.signedSelfInfo(now).getNetwork()).isEqualTo("net-a");
    }

    @Test
    void aNodeThatLearnsItsNetworkSignsItsHelloForItAtTheNextTick() {
        // a node's first start: its hello named no network until the coordinator answered, and its
        // peers refused it ("must upgrade") for up to a minute, until the time-based re-signature
        GossipNetwork unknownYet = GossipNetwork.unnamed();
        GossipCore starting = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.12").setPort(7000)
                .build(), config, new Random(4), SignatureCheck.envelopes(), Wants.everything(), unknownYet);
        assertThat(starting.signedSelfInfo(now).getVersion()).isEqualTo(Envelopes.VERSION_1);
        assertThat(only(starting.onTick(now + 1_000), Effect.SignedSelf.class)).as("nothing changed yet").isEmpty();

        unknownYet.learn("net-a");

        assertThat(only(starting.onTick(now + 2_000), Effect.SignedSelf.class)).singleElement()
                .satisfies(s -> assertThat(s.nodeInfo().getNetwork()).isEqualTo("net-a"));
        assertThat(starting.signedSelfInfo(now + 2_000).getNetwork()).isEqualTo("net-a");
        // which a peer that knows the network takes
        List<Effect> effects = core.onConnected(starting.id(), starting.signedSelfInfo(now + 2_000), false, now + 2_000);
        assertThat(effects).noneMatch(e -> e instanceof Disconnect);
    }

    private SignedEnvelope inventory(Peer peer, String network, String commit) {
        return Envelopes.sign(peer.identity, network, Inventory.newBuilder().setNode(peer.id.toByteString())
                .addCommits(commit).setTimeMs(now).build());
    }
}
