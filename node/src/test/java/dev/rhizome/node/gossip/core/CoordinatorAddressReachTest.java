package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static dev.rhizome.node.gossip.core.GossipAddressReachTest.NARROW;
import static dev.rhizome.node.gossip.core.GossipReflectionTest.madeUp;
import static dev.rhizome.node.gossip.core.GossipReflectionTest.nodeInfo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What the coordinator hands out (the nodes to join through, a unit's holders) is judged by the
 * coordinator's own reach, as a peer's records are by its link's: a coordinator on the internet
 * (or whoever answers at its address) naming 127.0.0.1, the LAN or 169.254.169.254 had every
 * volunteer dial there. And a record without an address is not kept: ids without one, which no
 * failed dial ever evicts, filled the peer table for good. Virtual time.
 */
class CoordinatorAddressReachTest {
    final GossipCore core = new GossipCore(Identity.generate(),
            NodeInfo.newBuilder().setHost("93.184.216.9").setPort(7000).build(), GossipConfig.defaults(), new Random(5),
            SignatureCheck.envelopes());
    long now = 10_000_000;

    static NodeInfo unsigned(String host, int port) {
        return nodeInfo(madeUp(host, port, 0));
    }

    List<Effect> minuteOfTicks() {
        List<Effect> effects = new ArrayList<>();
        for (int step = 0; step < 60; step++) {
            now += 1_000;
            effects.addAll(core.onTick(now));
        }
        return effects;
    }

    @Test
    void aCoordinatorOnTheInternetMayNotHaveNodesDialLoopbackOrItsLan() {
        core.start(List.of(), now);
        List<NodeInfo> listed = new ArrayList<>();
        NARROW.forEach(host -> listed.add(unsigned(host, 7000)));
        NodeInfo global = unsigned("93.184.217.1", 7000);
        NodeInfo named = unsigned("node.example", 7000);
        listed.add(global);
        listed.add(named);
        List<Effect> effects = new ArrayList<>(core.learn(listed, Reach.GLOBAL, now));
        effects.addAll(minuteOfTicks());

        assertThat(only(effects, Dial.class)).extracting(d -> d.peer().getHost())
                .containsOnly("93.184.217.1", "node.example");
        // The name is dialled only where it resolves no narrower than the coordinator's reach.
        assertThat(only(effects, Dial.class)).allSatisfy(d -> assertThat(d.learntOver()).isEqualTo(Reach.GLOBAL));
        assertThat(core.stats().peerTableSize()).isEqualTo(2);
    }

    @Test
    void aCoordinatorOnLoopbackOrTheLanNamesWhatItReaches() {
        core.start(List.of(), now);
        List<Effect> effects = new ArrayList<>(core.learn(List.of(unsigned("127.0.0.1", 7001), unsigned("10.0.0.3", 7002)),
                Reach.PRIVATE, now));
        effects.addAll(core.learn(List.of(unsigned("127.0.0.1", 7003)), Reach.LOOPBACK, now));
        effects.addAll(minuteOfTicks());
        assertThat(only(effects, Dial.class)).extracting(d -> d.peer().getHost() + ":" + d.peer().getPort())
                .containsOnly("10.0.0.3:7002", "127.0.0.1:7003");
    }

    @Test
    void aUnitsHoldersNarrowerThanTheCoordinatorAreNotFetchedFrom() {
        core.start(List.of(), now);
        String commit = Peer.commit(7);
        List<NodeInfo> holders = new ArrayList<>();
        NARROW.forEach(host -> holders.add(unsigned(host, 7000)));
        List<Effect> effects = new ArrayList<>(core.wantFrom(commit, holders, Reach.GLOBAL, now));
        for (int i = 0; i < 40 && only(effects, Effect.Unavailable.class).isEmpty(); i++) {
            for (Fetch f : only(effects, Fetch.class)) {
                effects.addAll(core.onFetchFailed(f.from(), f.commit(), FetchFailure.CONNECTION_LOST, now));
            }
            effects.addAll(minuteOfTicks());
        }
        assertThat(only(effects, Fetch.class)).as("nowhere to fetch from").allSatisfy(f -> assertThat(f.addresses()).isEmpty());

        String other = Peer.commit(8);
        NodeInfo named = unsigned("holder.example", 7000);
        List<Fetch> fetches = only(core.wantFrom(other, List.of(named), Reach.GLOBAL, now), Fetch.class);
        assertThat(fetches).hasSize(1);
        assertThat(fetches.get(0).addresses()).singleElement()
                .satisfies(a -> assertThat(a.learntOver()).as("resolved no narrower than the coordinator").isEqualTo(Reach.GLOBAL));
    }

    @Test
    void recordsWithoutAnAddressTakeNoPlaceInThePeerTable() throws Exception {
        core.start(List.of(), now);
        Identity rogue = Identity.generate();
        SignedEnvelope hello = Envelopes.sign(rogue, NodeInfo.newBuilder().setNode(rogue.publicId().toByteString())
                .setHost("93.184.217.9").setPort(7000).setTimeMs(now).build());
        core.onConnected(rogue.publicId(), Envelopes.open(hello, NodeInfo.getDefaultInstance()), false,
                new LinkEnd("93.184.217.9", Reach.GLOBAL), now);
        int capacity = GossipConfig.defaults().maxKnownPeers();
        for (int i = 0; i < capacity + 10; i++) {
            now += 100;  // within the rogue's announcement rate
            core.onMessage(rogue.publicId(), Peer.announce(madeUp(i % 2 == 0 ? "" : "93.184.218.1", 0, now)), now);
        }
        assertThat(core.stats().peerTableSize()).as("the rogue's own record only").isEqualTo(1);
        SignedEnvelope honest = madeUp("93.184.217.2", 7000, now);
        List<Effect> effects = new ArrayList<>(core.onMessage(rogue.publicId(), Peer.announce(honest), now));
        effects.addAll(minuteOfTicks());
        assertThat(only(effects, Dial.class)).extracting(d -> d.peer().getHost()).contains("93.184.217.2");
        assertThat(PeerTable.usable(unsigned("", 7000), Reach.LOOPBACK)).isFalse();
        assertThat(PeerTable.usable(unsigned("127.0.0.1", 0), Reach.LOOPBACK)).isFalse();
        assertThat(PeerTable.usable(unsigned("127.0.0.1", 7000), Reach.LOOPBACK)).isTrue();
    }
}
