package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.ResultSeen;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchange;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A record dated outside the time window by its signer's clock is the signer's fault: the peer
 * that relays it honestly (it passed that peer's own window) pays nothing, and the record is
 * dropped. A peer's own record out of the window is refused too, and not scored: an honest node
 * whose clock is off dates all of its records so (and sees all of ours so); it is reported instead.
 */
class GossipRelayedClockTest {
    final GossipConfig config = GossipConfig.defaults();
    final GossipCore core = new GossipCore(Identity.generate(),
            NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), config, new Random(1), SignatureCheck.envelopes());
    final long now = 10_000_000;
    final long ahead = now + config.maxClockSkew().toMillis() + 60_000;

    @Test
    void aRelayedNodeInfoOrResultDatedAheadIsDroppedAndCostsTheRelayerNothing() {
        Peer relayer = Peer.connectedTo(core, now);
        Peer fastClock = new Peer();
        Peer other = new Peer();
        Peer.connectedTo(core, now); // someone the records would be relayed to

        List<Effect> info = core.onMessage(relayer.id, Peer.announce(fastClock.hello(ahead)), now);
        List<Effect> result = core.onMessage(relayer.id, Peer.announce(fastClock.result(ahead, Peer.commit(7))), now + 1);
        List<Effect> old = core.onMessage(relayer.id,
                Peer.announce(other.result(now - config.seenTtl().toMillis() - config.maxClockSkew().toMillis() - 1, Peer.commit(8))),
                now + 2);

        assertThat(core.score(relayer.id)).isZero();
        assertThat(only(info, Send.class)).isEmpty();
        assertThat(only(result, ResultSeen.class)).isEmpty();
        assertThat(only(result, Send.class)).isEmpty();
        assertThat(only(old, ResultSeen.class)).isEmpty();
        assertThat(core.stats().invalid()).isEqualTo(3);
    }

    @Test
    void anotherNodesRecordsReplayedOutOfTheWindowAreDroppedWithoutASignatureCheck() {
        CountingSignatureCheck counting = new CountingSignatureCheck();
        AtomicInteger checks = counting.checks;
        GossipCore counted = new GossipCore(Identity.generate(),
                NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), config, new Random(1), counting);
        Peer replayer = new Peer();
        assertThat(only(counted.onConnected(replayer.id, replayer.hello(now), true, now), Send.class)).isNotEmpty();
        Peer other = new Peer();
        long old = now - config.seenTtl().toMillis() - config.maxClockSkew().toMillis() - 1;
        checks.set(0);

        // Records of another node, each distinct (the seen cache does not know them), captured long ago or dated ahead.
        for (int i = 0; i < 60; i++) {
            counted.onMessage(replayer.id, Peer.announce(other.result(old - i, Peer.commit(i))), now);
            counted.onMessage(replayer.id, Peer.announce(other.hello(i % 2 == 0 ? old - i : ahead + i)), now);
        }
        counted.onMessage(replayer.id, Gossip.newBuilder().setPeerExchange(PeerExchange.newBuilder()
                .addNodes(other.hello(ahead)).addNodes(new Peer().hello(ahead))).build(), now);

        assertThat(checks.get()).as("signatures checked for records dropped for their date anyway").isZero();
        assertThat(counted.score(replayer.id)).isZero();
        assertThat(counted.stats().peerTableSize()).as("the replayer alone").isEqualTo(1);
    }

    @Test
    void anHonestPeerWhoseClockRunsAheadIsNeverBannedForItsOwnRecordsAndItsSkewIsReported() {
        Peer fast = Peer.connectedTo(core, now);
        long t = now;
        List<Effect> effects = new java.util.ArrayList<>();

        // Round 26 scored each -2: 32 of them disconnected the peer, 64 banned it.
        for (int i = 0; i < 100; i++) {
            t += 1_000;
            long itsClock = t + config.maxClockSkew().toMillis() + 5 * 60_000;
            effects.addAll(core.onMessage(fast.id, Peer.announce(fast.inventory(itsClock, Peer.commit(i))), t));
            effects.addAll(core.onMessage(fast.id, Peer.announce(fast.result(itsClock, Peer.commit(1000 + i))), t));
        }

        assertThat(core.score(fast.id)).isZero();
        assertThat(core.isBanned(fast.id, t)).isFalse();
        assertThat(core.connectedPeers()).contains(fast.id);
        assertThat(only(effects, Effect.Disconnect.class)).isEmpty();
        assertThat(only(effects, Effect.ClockSkew.class)).hasSize(200)
                .allMatch(s -> s.peer().equals(fast.id) && s.reason().contains("in the future"));
        assertThat(core.stats().invalid()).isEqualTo(200);
    }

    @Test
    void aNodeWhoseOwnClockRunsAheadNeverBansItsHonestPeersForTheirRecords() {
        // This core's clock is ahead: the honest peer's fresh records look old to it.
        long ourClock = now + config.seenTtl().toMillis() + config.maxClockSkew().toMillis() + 60_000;
        Peer honest = Peer.connectedTo(core, ourClock);
        long t = ourClock;
        List<Effect> effects = new java.util.ArrayList<>();

        for (int i = 0; i < 100; i++) {
            t += 1_000;
            long itsClock = t - config.seenTtl().toMillis() - config.maxClockSkew().toMillis() - 60_000;
            effects.addAll(core.onMessage(honest.id, Peer.announce(honest.inventory(itsClock, Peer.commit(i))), t));
        }

        assertThat(core.score(honest.id)).isZero();
        assertThat(core.connectedPeers()).contains(honest.id);
        assertThat(only(effects, Effect.ClockSkew.class)).hasSize(100).allMatch(s -> s.reason().contains("ms old"));
    }

    @Test
    void aPeerExchangeCarryingTheSendersOwnRecordDatedAheadStillOffersTheRest() {
        Peer peer = new Peer();
        assertThat(only(core.onConnected(peer.id, peer.hello(now), true, now), Send.class))
                .anyMatch(s -> s.message().hasPeerExchangeRequest());
        Peer fine = new Peer();
        int known = core.stats().peerTableSize();

        List<Effect> effects = core.onMessage(peer.id, Gossip.newBuilder().setPeerExchange(PeerExchange.newBuilder()
                .addNodes(peer.hello(ahead)).addNodes(fine.hello(now))).build(), now);

        assertThat(core.score(peer.id)).isZero();
        assertThat(only(effects, Effect.ClockSkew.class)).singleElement().matches(s -> s.peer().equals(peer.id));
        assertThat(core.stats().peerTableSize()).isEqualTo(known + 1);
    }

    @Test
    void aPeerExchangeSkipsAnotherNodesRecordDatedAheadAndKeepsTheRest() {
        Peer peer = new Peer();
        assertThat(only(core.onConnected(peer.id, peer.hello(now), true, now), Send.class))
                .anyMatch(s -> s.message().hasPeerExchangeRequest());
        Peer fastClock = new Peer();
        Peer fine = new Peer();
        int known = core.stats().peerTableSize();

        core.onMessage(peer.id, Gossip.newBuilder().setPeerExchange(PeerExchange.newBuilder()
                .addNodes(fastClock.hello(ahead)).addNodes(fine.hello(now))).build(), now);

        assertThat(core.score(peer.id)).isZero();
        assertThat(core.stats().peerTableSize()).isEqualTo(known + 1);
    }
}
