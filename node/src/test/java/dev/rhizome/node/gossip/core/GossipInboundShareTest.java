package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Node ids cost nothing: one host's made-up ids dialling in took every inbound slot of every node
 * it reached, and honest nodes, refused everywhere for "no free connection slot", could link only
 * to the rogue. Inbound slots are shared among remote addresses max-min: a newcomer at a less
 * crowded address takes the newest slot of the most crowded one; one address alone (a NAT, a test
 * network on loopback) fills them as before.
 */
class GossipInboundShareTest {
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("93.184.216.9").setPort(7000).build(),
            GossipConfig.defaults(), new Random(11), SignatureCheck.envelopes());
    final long now = 10_000_000;

    List<Effect> dialsIn(Peer peer, String address) throws Exception {
        return core.onConnected(peer.id, Envelopes.open(peer.hello(now), NodeInfo.getDefaultInstance()), false,
                new LinkEnd(address, Reach.GLOBAL), now);
    }

    @Test
    void oneHostsMadeUpIdsDoNotShutHonestNodesOutOfTheInboundSlots() throws Exception {
        List<Peer> sybils = new ArrayList<>();
        for (int i = 0; i < GossipConfig.defaults().maxInbound(); i++) {
            Peer sybil = new Peer();
            sybils.add(sybil);
            assertThat(only(dialsIn(sybil, "203.0.113.66"), Disconnect.class)).isEmpty();
        }
        assertThat(only(dialsIn(new Peer(), "203.0.113.66"), Disconnect.class)).as("the host's next id: no slot")
                .singleElement().satisfies(d -> assertThat(d.reason()).contains("no free connection slot"));

        for (int i = 0; i < 4; i++) {
            Peer honest = new Peer();
            List<Disconnect> closed = only(dialsIn(honest, "198.51.100." + i), Disconnect.class);
            assertThat(closed).as("honest node %s links; a Sybil gives up its slot", i).singleElement()
                    .satisfies(d -> assertThat(sybils).contains(sybils.stream().filter(s -> s.id.equals(d.peer())).findFirst().orElseThrow()))
                    .satisfies(d -> assertThat(d.routine()).isTrue());
        }
        assertThat(core.stats().connected()).isEqualTo(GossipConfig.defaults().maxInbound());
    }

    @Test
    void oneAddressAloneFillsTheInboundSlotsAsBefore() throws Exception {
        for (int i = 0; i < GossipConfig.defaults().maxInbound(); i++) {
            assertThat(only(dialsIn(new Peer(), "127.0.0.1"), Disconnect.class)).isEmpty();
        }
        assertThat(only(dialsIn(new Peer(), "127.0.0.1"), Disconnect.class)).singleElement()
                .satisfies(d -> assertThat(d.reason()).contains("no free connection slot"));
        assertThat(core.stats().connected()).isEqualTo(GossipConfig.defaults().maxInbound());
    }
}
