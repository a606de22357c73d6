package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static dev.rhizome.node.gossip.core.GossipReflectionTest.madeUp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.proto.v1.NodeInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * A rogue holding many addresses of one network (a /24 of cloud machines, here 203.0.0.0/16) floods
 * signed records of made-up nodes there, every one of which would answer its dial: it must neither
 * take the whole peer table, so that honest peers from elsewhere are turned away, nor most of the
 * dials, so that this node's links are the rogue's (an eclipse). Virtual time.
 */
class GossipEclipseTest {
    static final List<String> HONEST_HOSTS = List.of("192.88.99.7", "100.70.0.7", "172.20.0.7");

    final GossipConfig config = GossipConfig.defaults();
    long now = 10_000_000;

    GossipCore core(long seed) {
        return new GossipCore(dev.rhizome.protocol.identity.Identity.generate(),
                NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), config, new Random(seed), SignatureCheck.envelopes());
    }

    /** Made-up nodes at {@code count} addresses of 203.0.0.0/16, announced over {@code rogue}'s link at its token bucket's pace. */
    void flood(GossipCore core, Peer rogue, int count) {
        for (int i = 0; i < count; i++) {
            now += 100;
            core.onMessage(rogue.id, Peer.announce(madeUp("203.0." + (i / 250) + "." + (i % 250 + 1), 7000, now)), now);
        }
    }

    @RepeatedTest(5)
    void theFirstDialsGoToEveryNetworkTheTableKnowsNotMostlyToTheCrowdedOne(org.junit.jupiter.api.RepetitionInfo run) {
        GossipCore core = core(run.getCurrentRepetition());
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        flood(core, rogue, 60);
        for (String host : HONEST_HOSTS) {
            now += 100;
            core.onMessage(honest.id, Peer.announce(madeUp(host, 7000, now)), now);
        }

        now += 1_000;
        List<Dial> dials = only(core.onTick(now), Dial.class);

        // 4 dials (a degree of 6, two links up): picked at random from 63, all 3 honest ones were in
        // them about once in 6,000 rounds.
        assertThat(dials).hasSize(config.degree() - 2)
                .extracting(d -> d.peer().getHost()).containsAll(HONEST_HOSTS);
    }

    @Test
    void aTableFullOfOneNetworksPeersStillTakesAPeerFromAnother() {
        GossipCore core = core(7);
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        flood(core, rogue, config.maxKnownPeers() + 20);

        now += 100;
        core.onMessage(honest.id, Peer.announce(madeUp(HONEST_HOSTS.get(0), 7000, now)), now);
        now += 1_000;
        List<Effect> effects = new ArrayList<>(core.onTick(now));

        // The table held only peers no dial had failed to reach: the newcomer was turned away, never dialled.
        assertThat(only(effects, Dial.class)).extracting(d -> d.peer().getHost()).contains(HONEST_HOSTS.get(0));
    }

    @RepeatedTest(5)
    void anInboundRoguesHelloNamingAnotherNetworkDoesNotPushThatNetworksPeersBack(org.junit.jupiter.api.RepetitionInfo run)
            throws Exception {
        GossipCore core = core(run.getCurrentRepetition());
        // Linked from the crowded network, its hello names an address in the honest peer's network.
        Peer rogue = new Peer();
        NodeInfo lie = rogue.info.toBuilder().setHost("192.88.99.200").setTimeMs(now).build();
        assertThat(core.onConnected(rogue.id, dev.rhizome.protocol.envelope.Envelopes.open(
                dev.rhizome.protocol.envelope.Envelopes.sign(rogue.identity, lie), NodeInfo.getDefaultInstance()), false,
                new LinkEnd("203.0.200.1", dev.rhizome.protocol.PeerAddress.Reach.GLOBAL), now)).noneMatch(e -> e instanceof Effect.Disconnect);
        Peer honest = Peer.connectedTo(core, now);
        flood(core, rogue, 60);
        now += 100;
        core.onMessage(honest.id, Peer.announce(madeUp(HONEST_HOSTS.get(0), 7000, now)), now);

        now += 1_000;
        // Weighed by its hello, the rogue's link counted as 192.88.0.0/16's: the honest peer there
        // was not dialled first, and a round of 4 dials of 61 rarely reached it.
        assertThat(only(core.onTick(now), Dial.class)).extracting(d -> d.peer().getHost()).contains(HONEST_HOSTS.get(0));
    }
}
