package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.ClockSkew;
import dev.rhizome.node.gossip.core.Effect.DuplicateLink;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A linked peer's clock is measured once per peer (its proven key), not once per link: a second
 * link of the same peer, kept or refused as a duplicate, measures the one clock again, and what it
 * measured goes with the peer. Before, each link kept its own measure: a duplicate link's proven
 * hello measured nothing, and a new link opened while the old one closed judged the peer's records
 * by another measure than the old one, so a peer could have its records judged by the link it liked.
 */
class ClockPerPeerTest {
    static final long HOURS_2 = GossipSkewedPeerInventoryTest.HOURS_2;
    final long now = 70_000_000;
    final Identity self = Identity.generate();
    final GossipCore core = new GossipCore(self, NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
            GossipConfig.defaults(), new Random(1), SignatureCheck.envelopes());

    ClockPerPeerTest() {
        core.start(List.of(), now);
    }

    @Test
    void aDuplicateLinkKeptMeasuresThePeersOneClockAgain() throws Exception {
        Peer peer = new Peer();
        core.onConnected(peer.id, GossipSkewedPeerInventoryTest.verified(peer, now - 30_000), false, now);
        long later = now + 60_000;

        List<Effect> duplicate = core.onConnected(peer.id, GossipSkewedPeerInventoryTest.verified(peer, later + HOURS_2), false, later);

        assertThat(only(duplicate, DuplicateLink.class)).singleElement().matches(DuplicateLink::keepNew);
        assertTakenAt(peer, later + HOURS_2, later);
    }

    @Test
    void aDuplicateLinkRefusedMeasuresThePeersOneClockAgainToo() throws Exception {
        Peer peer = new Peer();
        // The link the tie-break keeps is the one dialled by the smaller key: the first is made that one.
        boolean ourDialKept = self.publicId().toString().compareTo(peer.id.toString()) < 0;
        core.onConnected(peer.id, GossipSkewedPeerInventoryTest.verified(peer, now - 30_000), ourDialKept, now);
        long later = now + 60_000;

        List<Effect> duplicate = core.onConnected(peer.id, GossipSkewedPeerInventoryTest.verified(peer, later + HOURS_2),
                !ourDialKept, later);

        assertThat(only(duplicate, DuplicateLink.class)).singleElement().matches(d -> !d.keepNew());
        assertThat(only(duplicate, ClockSkew.class)).as("the peer's clock, now past the skew, reported once")
                .singleElement().matches(s -> s.peer().equals(peer.id));
        assertTakenAt(peer, later + HOURS_2, later);
    }

    @Test
    void aDuplicateOfAPeerAlreadyReportedSkewedIsNotReportedAgain() throws Exception {
        Peer peer = new Peer();
        List<Effect> first = core.onConnected(peer.id, GossipSkewedPeerInventoryTest.verified(peer, now + HOURS_2), false, now);
        assertThat(only(first, ClockSkew.class)).hasSize(1);

        List<Effect> duplicate = core.onConnected(peer.id, GossipSkewedPeerInventoryTest.verified(peer, now + HOURS_2 + 5_000),
                false, now + 1_000);

        assertThat(only(duplicate, ClockSkew.class)).isEmpty();
    }

    /** The measure goes with the peer: linked again with no handshake behind its hello, nothing is measured. */
    @Test
    void aPeerGoneAndBackUnprovenHasNoMeasureLeft() throws Exception {
        Peer peer = new Peer();
        core.onConnected(peer.id, GossipSkewedPeerInventoryTest.verified(peer, now + HOURS_2), false, now);
        assertThat(core.clocksMeasured()).isEqualTo(1);

        core.onDisconnected(peer.id, now + 1_000);
        assertThat(core.clocksMeasured()).as("dropped with the peer").isZero();
        core.onConnected(peer.id, peer.hello(now + 2_000), false, now + 2_000);
        List<Effect> effects = core.onMessage(peer.id, Peer.announce(peer.inventory(now + HOURS_2 + 2_000, Peer.commit(21))), now + 2_000);

        assertThat(only(effects, Fetch.class)).as("its Inventory on the old measure").isEmpty();
        assertThat(core.clocksMeasured()).isZero();
    }

    /** A link the core closed and whose close the driver never reported is forgotten in time, and its peer's measure with it. */
    @Test
    void aPeerCutOffByTheCoreLeavesNoMeasureOnceItsLinkIsForgotten() throws Exception {
        Peer peer = new Peer();
        core.onConnected(peer.id, GossipSkewedPeerInventoryTest.verified(peer, now + HOURS_2), false, now);
        for (int i = 0; i < 4; i++) {
            core.onViolation(peer.id, Violation.MALFORMED_FRAME, now + i);
        }
        assertThat(core.isBanned(peer.id, now + 10)).isTrue();

        core.onTick(now + 120_000);

        assertThat(core.clocksMeasured()).isZero();
    }

    /** A record dated by {@code clockAt} (the peer's clock as its last proven hello dated it) is taken; one measure is kept. */
    private void assertTakenAt(Peer peer, long clockAt, long at) {
        List<Effect> byItsClock = core.onMessage(peer.id, Peer.announce(peer.inventory(clockAt + 1_000, Peer.commit(32))), at + 1_000);

        assertThat(only(byItsClock, Fetch.class)).as("dated by the peer's clock as last measured").singleElement()
                .matches(f -> f.commit().equals(Peer.commit(32)));
        assertThat(only(byItsClock, ClockSkew.class)).isEmpty();
        assertThat(core.clocksMeasured()).as("one measure for the peer").isEqualTo(1);
    }
}
