package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static dev.rhizome.node.gossip.core.GossipReflectionTest.madeUp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Signed NodeInfos cost a made-up id nothing and may name any address: one that no node can be
 * dialled at (the unspecified address, which a dialler reaches as itself; multicast; broadcast; a
 * port outside 1-65535, which the driver's connect throws on; a dotted form resolvers widen) must
 * not be kept, dialled, relayed or handed on, and one address written several ways is one address
 * for the per-address bounds. Virtual time.
 */
class GossipUndialableAddressTest {
    final GossipCore core = new GossipCore(Identity.generate(),
            NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), GossipConfig.defaults(), new Random(3),
            SignatureCheck.envelopes());
    long now = 10_000_000;

    @Test
    void recordsNamingAddressesNoNodeCanBeDialledAtAreNeitherKeptNorDialledNorPassedOn() {
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        List<SignedEnvelope> poison = List.of(
                madeUp("198.51.100.7", 70_000, now), madeUp("198.51.100.8", -1, now), madeUp("198.51.100.9", 0, now),
                madeUp("0.0.0.0", 7000, now), madeUp("::", 7000, now), madeUp("255.255.255.255", 7000, now),
                madeUp("224.0.0.1", 7000, now), madeUp("ff02::1", 7000, now), madeUp("127.1", 7000, now),
                madeUp("::ffff:0.0.0.0", 7000, now), madeUp("evil.example/x", 7000, now), madeUp("10.0.0.1:22", 7000, now));
        List<Effect> effects = new ArrayList<>();
        for (SignedEnvelope record : poison) {
            effects.addAll(core.onMessage(rogue.id, Peer.announce(record), now));
        }
        for (int step = 0; step < 50; step++) {
            now += 100;
            effects.addAll(core.onTick(now));
        }

        assertThat(only(effects, Dial.class)).as("dials").isEmpty();
        assertThat(only(effects, Send.class)).as("relays to the honest neighbour")
                .noneMatch(s -> s.message().hasAnnouncement() && poison.contains(s.message().getAnnouncement()));
        assertThat(core.stats().peerTableSize()).as("the table: the two linked peers").isEqualTo(2);
        List<Effect> answer = core.onMessage(honest.id, Gossip.newBuilder()
                .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(32)).build(), now);
        assertThat(only(answer, Send.class).get(0).message().getPeerExchange().getNodesList()).doesNotContainAnyElementsOf(poison);
        assertThat(core.score(rogue.id)).as("an old node may have announced such an address: no offence").isEqualTo(0.0);
    }

    @Test
    void aHelloNamingAnAddressNoNodeCanBeDialledAtGetsNoLink() {
        Identity made = Identity.generate();
        SignedEnvelope hello = Envelopes.sign(made, NodeInfo.newBuilder().setNode(made.publicId().toByteString())
                .setHost("127.0.0.1").setPort(70_000).setTimeMs(now).build());
        assertThat(core.onConnected(made.publicId(), hello, false, now)).anyMatch(e -> e instanceof Effect.Disconnect);
        assertThat(core.stats().connected()).isZero();
    }

    @Test
    void oneAddressWrittenSeveralWaysIsOneAddressForTheTableAndTheDials() {
        Peer rogue = Peer.connectedTo(core, now);
        List<Effect> effects = new ArrayList<>();
        for (String spelling : List.of("2001:db8::7", "2001:DB8::7", "2001:db8:0:0:0:0:0:7", "2001:0db8::0007",
                "2001:db8:0::7", "2001:db8::0:7")) {
            effects.addAll(core.onMessage(rogue.id, Peer.announce(madeUp(spelling, 443, now)), now));
        }
        assertThat(core.stats().peerTableSize()).as("the rogue and two ids at the one address")
                .isLessThanOrEqualTo(1 + PeerTable.MAX_IDS_PER_ADDRESS);
        // Five seconds: no dial is answered, and none expires (a dial waits out the stall period, 10 s).
        for (int step = 0; step < 50; step++) {
            now += 100;
            effects.addAll(core.onTick(now));
        }
        assertThat(only(effects, Dial.class)).as("dials to the one address, none answered").hasSize(1);
    }
}
