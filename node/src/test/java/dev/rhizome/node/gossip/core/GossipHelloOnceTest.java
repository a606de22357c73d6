package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A hello's NodeInfo verified by the link handshake is not verified again by the core on a first
 * connection; every other check on it still holds (the signer it names, the time window: a record
 * outside it links, as the handshake proved the peer fresh, but is not kept).
 */
class GossipHelloOnceTest {
    final CountingSignatureCheck counting = new CountingSignatureCheck();
    final AtomicInteger verifies = counting.checks;
    long now = 70_000_000;

    GossipCore core() {
        GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
                GossipConfig.defaults(), new Random(1), counting);
        core.start(List.of(), now);
        return core;
    }

    static Verified<NodeInfo> verified(Peer peer, long timeMs) throws Exception {
        return Envelopes.openSignedBy(peer.hello(timeMs), NodeInfo.getDefaultInstance(), NodeInfo::getNode);
    }

    @Test
    void aHelloTheHandshakeVerifiedCostsTheCoreNoSignatureCheck() throws Exception {
        GossipCore core = core();
        Peer peer = new Peer();
        verifies.set(0);
        List<Effect> out = core.onConnected(peer.id, verified(peer, now), false, now);
        assertThat(out).noneMatch(e -> e instanceof Effect.Disconnect);
        assertThat(core.connectedPeers()).contains(peer.id);
        assertThat(verifies).hasValue(0);

        // The envelope alone (a driver that did not verify it) is verified, as before.
        Peer other = new Peer();
        core.onConnected(other.id, other.hello(now), false, now);
        assertThat(verifies).hasValue(1);
    }

    @Test
    void aVerifiedHelloOfAnotherNodeIsStillRefused() throws Exception {
        GossipCore core = core();
        Peer liar = new Peer();
        Peer named = new Peer();
        assertThat(core.onConnected(named.id, verified(liar, now), false, now))
                .anyMatch(e -> e instanceof Effect.Disconnect);
        assertThat(core.connectedPeers()).doesNotContain(named.id);
    }

    /**
     * A peer whose clock is hours ahead: the handshake proved its key answered our nonce, so its
     * link is admitted and its skew reported, but its record, dated in the future, is kept from the
     * peer table (so never handed on in peer exchange nor outranking its later, rightly dated ones).
     */
    @Test
    void aVerifiedHelloDatedHoursAheadLinksIsReportedAndIsNotKeptInThePeerTable() throws Exception {
        GossipCore core = core();
        Peer future = new Peer();
        long ahead = now + 2 * 3_600_000L;

        List<Effect> out = core.onConnected(future.id, verified(future, ahead), false, now);

        assertThat(out).noneMatch(e -> e instanceof Effect.Disconnect);
        assertThat(out).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(Effect.ClockSkew.class,
                skew -> assertThat(skew.peer()).isEqualTo(future.id)));
        assertThat(core.connectedPeers()).contains(future.id);
        assertThat(core.stats().peerTableSize()).as("its future-dated record is not kept to hand on").isZero();
        assertThat(core.score(future.id)).as("not held against it").isZero();
    }

    /** Without the handshake's proof (a driver handing the envelope alone), a record dated outside the window refuses the link. */
    @Test
    void anUnverifiedHelloOutsideTheTimeWindowIsStillRefused() {
        GossipCore core = core();
        Peer future = new Peer();
        long ahead = now + GossipConfig.defaults().maxClockSkew().toMillis() + 60_000;
        assertThat(core.onConnected(future.id, future.hello(ahead), false, now))
                .anyMatch(e -> e instanceof Effect.Disconnect);
        assertThat(core.connectedPeers()).doesNotContain(future.id);
    }
}
