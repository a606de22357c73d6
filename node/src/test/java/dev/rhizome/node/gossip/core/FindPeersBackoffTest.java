package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static dev.rhizome.node.gossip.core.GossipCoreTimeTest.runUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.FindPeers;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A network smaller than the degree keeps a node short of links for good. It asked the coordinator
 * for peers every 10 s (no links) or 30 s (short of its outbound quota) forever; now each wait
 * doubles to a cap, and is short again once a link is lost or a peer is learnt. Virtual time, the
 * core ticked only when it asks.
 */
class FindPeersBackoffTest {
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("93.184.216.9").setPort(7000).build(),
            GossipConfig.defaults(), new Random(3), SignatureCheck.envelopes());
    final long start = 10_000_000;

    /** The times, after {@code from}, at which the core asked for peers, ticked at each wakeup it asks for. */
    static List<Long> asks(GossipCore core, long from, long until) {
        List<Long> at = new ArrayList<>();
        long wake = Math.max(from, core.nextWakeupMs());
        while (wake <= until) {
            long t = wake;
            if (!only(core.onTick(t), FindPeers.class).isEmpty()) {
                at.add(t - from);
            }
            wake = Math.max(t + 1, core.nextWakeupMs());
        }
        return at;
    }

    @Test
    void aNodeWithNoOneToLinkWithAsksLessAndLessOftenToTheCap() {
        assertThat(only(core.start(List.of(), start), FindPeers.class)).hasSize(1);

        List<Long> at = asks(core, start, start + 30 * 60_000);

        // 10 s, then 20, 40, 80, 160, then the 5 min cap between asks: 9 asks in half an hour, not 180.
        assertThat(at).containsExactly(10_000L, 30_000L, 70_000L, 150_000L, 310_000L, 610_000L, 910_000L, 1_210_000L,
                1_510_000L);
    }

    @Test
    void aLostLinkBringsTheNextAskBackToTheBaseWait() throws Exception {
        core.start(List.of(), start);
        Peer peer = new Peer();
        core.onConnected(peer.id, Envelopes.open(peer.hello(start), NodeInfo.getDefaultInstance()), false,
                new LinkEnd("198.51.100.7", Reach.GLOBAL), start);
        // One link (fewer than two): the 10 s wait, doubling; the next would be at 310 s.
        long lost = start + 200_000;
        assertThat(asks(core, start, lost)).containsExactly(10_000L, 30_000L, 70_000L, 150_000L);

        core.onDisconnected(peer.id, lost);

        // 50 s since the last ask, past the base wait: asked at the next tick, then 20 s on.
        List<Long> after = asks(core, lost, lost + 30_000);
        assertThat(after).hasSize(2);
        assertThat(after.get(0)).isLessThanOrEqualTo(GossipCore.HOUSEKEEPING_MS);
        assertThat(after.get(1) - after.get(0)).isEqualTo(2 * Dialer.FIND_PEERS_MS);
    }

    @Test
    void aPeerNewToTheTableBringsTheWaitBackAndTheSameRecordAgainDoesNot() {
        core.start(List.of(), start);
        assertThat(asks(core, start, start + 150_000)).containsExactly(10_000L, 30_000L, 70_000L, 150_000L);
        long t = start + 150_000;

        // A newcomer (from the coordinator's answer, or any neighbour): asked again at the base wait, not 160 s on.
        NodeInfo newcomer = new Peer().info.toBuilder().setTimeMs(t).build();
        core.learn(List.of(newcomer), t);
        assertThat(asks(core, t, t + 10_000)).containsExactly(10_000L);
        t += 10_000;

        // The same record again (a small network's coordinator names the same nodes each time): still doubling.
        core.learn(List.of(newcomer), t);
        assertThat(asks(core, t, t + 60_000)).containsExactly(20_000L, 60_000L);
    }

    /**
     * A link the core closes itself (idle here; a ban alike) is lost as much as one the peer closed,
     * but the driver reports only closes it did not ask for: the back-off ran on at 160 s.
     */
    @Test
    void aLinkTheCoreClosesItselfBringsTheNextAskBackToTheBaseWaitToo() throws Exception {
        core.start(List.of(), start);
        Peer peer = new Peer();
        core.onConnected(peer.id, Envelopes.open(peer.hello(start), NodeInfo.getDefaultInstance()), false,
                new LinkEnd("198.51.100.7", Reach.GLOBAL), start);

        // The peer says nothing: the core closes the link as idle, between the asks at 150 s and 310 s.
        List<Long> at = asks(core, start, start + 300_000);

        assertThat(at).startsWith(10_000L, 30_000L, 70_000L, 150_000L).hasSizeGreaterThanOrEqualTo(6);
        assertThat(at.get(4)).isBetween(LinkLiveness.LINK_IDLE_MS, LinkLiveness.LINK_IDLE_MS + GossipCore.HOUSEKEEPING_MS);
        assertThat(at.get(5) - at.get(4)).isEqualTo(2 * Dialer.FIND_PEERS_MS);
    }
}
