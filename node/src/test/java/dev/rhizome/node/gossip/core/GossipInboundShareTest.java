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
 * to the rogue; so did one party's ids at many addresses of one network. Inbound slots are shared
 * max-min among networks (an IPv4 /16, an IPv6 /32), then among addresses within one: a newcomer
 * of a less crowded network, or of a less crowded address in its own, takes the newest slot of the
 * most crowded one; one address alone (a NAT, a test network on loopback) fills them as before.
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

    @Test
    void oneNetworksMadeUpIdsAtManyAddressesDoNotShutOtherNetworksOut() throws Exception {
        List<Peer> sybils = new ArrayList<>();
        for (int i = 0; i < GossipConfig.defaults().maxInbound(); i++) {
            Peer sybil = new Peer();
            sybils.add(sybil);
            assertThat(only(dialsIn(sybil, "203.0.113." + (i + 1)), Disconnect.class)).isEmpty();
        }
        assertThat(only(dialsIn(new Peer(), "203.0.7.7"), Disconnect.class)).as("another address of the network: no slot")
                .singleElement().satisfies(d -> assertThat(d.reason()).contains("no free connection slot"));

        List<String> honestAddresses = List.of("198.51.100.1", "192.88.99.1", "100.70.0.1", "v6:20010db800070000::/64");
        for (String address : honestAddresses) {
            List<Disconnect> closed = only(dialsIn(new Peer(), address), Disconnect.class);
            assertThat(closed).as("honest node at %s links; a Sybil gives up its slot", address).singleElement()
                    .satisfies(d -> assertThat(sybils.stream().map(s -> s.id)).contains(d.peer()))
                    .satisfies(d -> assertThat(d.routine()).isTrue());
        }
        assertThat(core.stats().connected()).isEqualTo(GossipConfig.defaults().maxInbound());
        // 5 Sybils and one link of each of 4 networks: the IPv6 /32 takes 2 more /64s' links, to 3 and 3.
        for (String address : List.of("v6:20010db800080000::/64", "v6:20010db800090000::/64")) {
            assertThat(only(dialsIn(new Peer(), address), Disconnect.class)).as("%s links", address)
                    .singleElement().satisfies(d -> assertThat(sybils.stream().map(s -> s.id)).contains(d.peer()));
        }
        assertThat(only(dialsIn(new Peer(), "v6:20010db8000a0000::/64"), Disconnect.class)).as("a third /64 of one /32 is one party")
                .singleElement().satisfies(d -> assertThat(d.reason()).contains("no free connection slot"));
    }

    @Test
    void withinOneNetworkSlotsAreStillSharedByAddress() throws Exception {
        List<Peer> sybils = new ArrayList<>();
        for (int i = 0; i < GossipConfig.defaults().maxInbound(); i++) {
            Peer sybil = new Peer();
            sybils.add(sybil);
            assertThat(only(dialsIn(sybil, "10.0.0.66"), Disconnect.class)).isEmpty();
        }
        assertThat(only(dialsIn(new Peer(), "10.0.3.1"), Disconnect.class)).as("a neighbour on the LAN links")
                .singleElement().satisfies(d -> assertThat(sybils.stream().map(s -> s.id)).contains(d.peer()));
    }
}
