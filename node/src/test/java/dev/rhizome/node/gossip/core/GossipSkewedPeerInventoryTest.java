package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.ClockSkew;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A peer whose clock is hours off, linked on its handshake's proof: its own Inventories are judged
 * by its clock as the handshake measured it, so what it holds spreads by gossip and not only by the
 * coordinator's hints (before round 28 each was refused as dated out of the window). The measure is
 * the proven link's alone: a replay older than the window by the peer's clock is still refused,
 * records of other nodes it relays are judged by our clock, and a link with no handshake behind it
 * measures nothing. Since round 29 its own NodeInfo and Results are judged by the same rule, and
 * what is taken only on its clock is this node's alone (never relayed or tabled). The skew is reported once at the link either way, and a step of our
 * own clock after the link moves the measure with it.
 */
class GossipSkewedPeerInventoryTest {
    static final long HOURS_2 = 2 * 3_600_000L;
    final GossipConfig config = GossipConfig.defaults();
    final long now = 70_000_000;
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
            config, new Random(1), SignatureCheck.envelopes());

    GossipSkewedPeerInventoryTest() {
        core.start(List.of(), now);
    }

    static Verified<NodeInfo> verified(Peer peer, long timeMs) throws Exception {
        return Envelopes.openSignedBy(peer.hello(timeMs), NodeInfo.getDefaultInstance(), NodeInfo::getNode);
    }

    @Test
    void anInventoryOfAPeerTwoHoursAheadIsTakenOnItsClockAndItsSkewReportedAtTheLink() throws Exception {
        takesInventoriesOnItsClock(HOURS_2);
    }

    @Test
    void anInventoryOfAPeerTwoHoursBehindIsTakenOnItsClockAndItsSkewReportedAtTheLink() throws Exception {
        takesInventoriesOnItsClock(-HOURS_2);
    }

    private void takesInventoriesOnItsClock(long offsetMs) throws Exception {
        Peer skewed = new Peer();
        List<Effect> linked = core.onConnected(skewed.id, verified(skewed, now + offsetMs - 30_000), false, now);
        assertThat(only(linked, ClockSkew.class)).as("reported at the link").singleElement()
                .matches(s -> s.peer().equals(skewed.id));

        long later = now + 5 * 60_000;
        List<Effect> effects = core.onMessage(skewed.id, Peer.announce(skewed.inventory(later + offsetMs, Peer.commit(1))), later);

        assertThat(only(effects, Fetch.class)).as("what it holds is fetched").singleElement()
                .matches(f -> f.commit().equals(Peer.commit(1)));
        assertThat(only(effects, ClockSkew.class)).isEmpty();
        assertThat(core.score(skewed.id)).isZero();
        assertThat(core.stats().invalid()).isZero();
    }

    @Test
    void anInventoryOldByThePeersOwnClockIsStillRefused() throws Exception {
        Peer skewed = new Peer();
        core.onConnected(skewed.id, verified(skewed, now + HOURS_2), false, now);
        long old = now + HOURS_2 - config.seenTtl().toMillis() - config.maxClockSkew().toMillis() - 60_000;

        List<Effect> effects = core.onMessage(skewed.id, Peer.announce(skewed.inventory(old, Peer.commit(2))), now);

        assertThat(only(effects, Fetch.class)).isEmpty();
        assertThat(only(effects, ClockSkew.class)).hasSize(1);
        assertThat(core.score(skewed.id)).isZero();
    }

    @Test
    void aSkewedPeersInventoryDatedByARightClockIsTakenToo() throws Exception {
        // Its clock was corrected after the link came up: its records are now dated by ours.
        Peer corrected = new Peer();
        core.onConnected(corrected.id, verified(corrected, now + HOURS_2), false, now);

        assertThat(only(corrected.announces(core, now + 1_000, Peer.commit(3)), Fetch.class)).hasSize(1);
    }

    /**
     * One rule for its own records on its proven link: its Result, dated by its clock, is heard here
     * (not reported as a skew again, not refused) but relayed to no one, since the nodes it would
     * reach cannot measure its clock. Before round 29 it was refused and reported, as a relayed one is.
     */
    @Test
    void itsOwnResultIsTakenOnItsClockButNotRelayedSinceOthersCannotMeasureItsClock() throws Exception {
        Peer skewed = new Peer();
        core.onConnected(skewed.id, verified(skewed, now + HOURS_2), false, now);
        Peer.connectedTo(core, now); // someone it would be relayed to

        List<Effect> effects = core.onMessage(skewed.id, Peer.announce(skewed.result(now + HOURS_2, Peer.commit(4))), now);

        assertThat(only(effects, Effect.ResultSeen.class)).as("heard here").hasSize(1);
        assertThat(only(effects, Send.class)).as("not relayed").isEmpty();
        assertThat(only(effects, ClockSkew.class)).isEmpty();
        assertThat(core.score(skewed.id)).isZero();
    }

    /**
     * Its own NodeInfo, dated by its clock, is taken without a skew report each time, and neither
     * relayed nor kept in the peer table: its date there would order its records, and one dated two
     * hours ahead would keep its right ones out once its clock is fixed.
     */
    @Test
    void itsOwnNodeInfoOnItsClockIsNeitherRelayedNorTabled() throws Exception {
        Peer skewed = new Peer();
        core.onConnected(skewed.id, verified(skewed, now + HOURS_2), false, now);
        Peer.connectedTo(core, now);
        int tabled = core.stats().peerTableSize();

        List<Effect> effects = core.onMessage(skewed.id, Peer.announce(skewed.hello(now + HOURS_2 + 60_000)), now);

        assertThat(only(effects, Send.class)).as("not relayed").isEmpty();
        assertThat(only(effects, ClockSkew.class)).isEmpty();
        assertThat(core.stats().peerTableSize()).isEqualTo(tabled);
        assertThat(core.stats().invalid()).isZero();
    }

    /**
     * The measure is the signer's own link's: a skewed peer relaying another node's records dated
     * by the skewed clock gets them judged by ours (dropped, free), so it cannot launder records
     * it did not sign through its own measure.
     */
    @Test
    void anotherNodesRecordsRelayedByTheSkewedPeerAreJudgedByOurClock() throws Exception {
        Peer skewed = new Peer();
        core.onConnected(skewed.id, verified(skewed, now + HOURS_2), false, now);
        Peer other = new Peer();

        List<Effect> effects = new java.util.ArrayList<>();
        effects.addAll(core.onMessage(skewed.id, Peer.announce(other.result(now + HOURS_2, Peer.commit(8))), now));
        effects.addAll(core.onMessage(skewed.id, Peer.announce(other.hello(now + HOURS_2)), now));

        assertThat(only(effects, Effect.ResultSeen.class)).isEmpty();
        assertThat(only(effects, Send.class)).isEmpty();
        assertThat(core.score(skewed.id)).isZero();
        assertThat(core.stats().invalid()).isEqualTo(2);
    }

    @Test
    void aLinkWithNoHandshakeBehindItsHelloMeasuresNothing() {
        Peer behind = new Peer();
        // A record dated in the past is an old address record: the link comes up, unmeasured.
        assertThat(core.onConnected(behind.id, behind.hello(now - HOURS_2), false, now))
                .noneMatch(e -> e instanceof Effect.Disconnect);

        List<Effect> effects = core.onMessage(behind.id, Peer.announce(behind.inventory(now - HOURS_2, Peer.commit(5))), now);

        assertThat(only(effects, Fetch.class)).isEmpty();
        assertThat(only(effects, ClockSkew.class)).hasSize(1);
    }

    /**
     * Our own clock steps two hours after the link came up (a wrong NTP step, a resumed VM): the
     * measure moves with it, so the peer's records, dated by its right clock, are still taken.
     */
    @Test
    void aStepOfOurOwnClockAfterTheLinkMovesTheMeasureWithIt() throws Exception {
        Peer right = new Peer();
        core.onWallClock(now, now);
        core.onConnected(right.id, verified(right, now - 30_000), false, now);
        long later = now + 60_000;
        core.onWallClock(later + HOURS_2, later);

        List<Effect> effects = core.onMessage(right.id, Peer.announce(right.inventory(later, Peer.commit(7))), later);

        assertThat(only(effects, Fetch.class)).singleElement().matches(f -> f.commit().equals(Peer.commit(7)));
        assertThat(only(effects, ClockSkew.class)).isEmpty();
    }

    /**
     * A peer's clock steps two hours while linked (a wrong NTP step, a resumed VM): its own NodeInfo,
     * signed by its new clock, measures it again, so its Inventories are taken on its clock as it is
     * now. Before round 29 the measure was the handshake's until it relinked: every Inventory of
     * the stepped peer was refused as dated in the future.
     */
    @Test
    void aPeerWhoseClockStepsWhileLinkedIsMeasuredAgainByItsOwnNodeInfo() throws Exception {
        Peer stepped = new Peer();
        core.onConnected(stepped.id, verified(stepped, now - 30_000), false, now);
        Peer.connectedTo(core, now); // someone its NodeInfo would be relayed to
        long later = now + 60_000;

        List<Effect> beacon = core.onMessage(stepped.id, Peer.announce(stepped.hello(later + HOURS_2)), later);
        List<Effect> effects = core.onMessage(stepped.id, Peer.announce(stepped.inventory(later + HOURS_2 + 1_000, Peer.commit(9))),
                later + 1_000);

        assertThat(only(beacon, ClockSkew.class)).as("the step reported once").singleElement()
                .matches(s -> s.peer().equals(stepped.id) && s.reason().contains("stepped"));
        assertThat(only(beacon, Send.class)).as("its NodeInfo on its new clock is not relayed").isEmpty();
        assertThat(only(effects, Fetch.class)).singleElement().matches(f -> f.commit().equals(Peer.commit(9)));
        assertThat(only(effects, ClockSkew.class)).isEmpty();
        assertThat(core.score(stepped.id)).isZero();
    }

    /**
     * The same step, followed through the peer's answer to a peer exchange (its own record comes
     * first in each, and a quiet link's keepalive asks for one a minute): measured again there too.
     */
    @Test
    void aPeerWhoseClockStepsWhileLinkedIsMeasuredAgainByItsPeerExchangeAnswer() throws Exception {
        Peer stepped = new Peer();
        List<Effect> linked = core.onConnected(stepped.id, verified(stepped, now - 30_000), false, now);
        assertThat(only(linked, Send.class)).as("peers asked for at the link")
                .anyMatch(s -> s.message().hasPeerExchangeRequest());
        long later = now + 60_000;

        List<Effect> answer = core.onMessage(stepped.id, dev.rhizome.proto.v1.Gossip.newBuilder().setPeerExchange(
                dev.rhizome.proto.v1.PeerExchange.newBuilder().addNodes(stepped.hello(later + HOURS_2))).build(), later);
        List<Effect> effects = core.onMessage(stepped.id, Peer.announce(stepped.inventory(later + HOURS_2 + 1_000, Peer.commit(11))),
                later + 1_000);

        assertThat(only(answer, ClockSkew.class)).singleElement().matches(s -> s.reason().contains("stepped"));
        assertThat(only(effects, Fetch.class)).singleElement().matches(f -> f.commit().equals(Peer.commit(11)));
        assertThat(core.score(stepped.id)).isZero();
    }

    /** Only a link whose handshake measured the peer is measured again: a NodeInfo on any other link moves nothing. */
    @Test
    void aNodeInfoOnALinkWithNoHandshakeMeasuresNothing() {
        Peer unproven = Peer.connectedTo(core, now);

        core.onMessage(unproven.id, Peer.announce(unproven.hello(now + HOURS_2)), now);
        List<Effect> effects = core.onMessage(unproven.id, Peer.announce(unproven.inventory(now + HOURS_2, Peer.commit(10))), now);

        assertThat(only(effects, Fetch.class)).isEmpty();
        assertThat(only(effects, ClockSkew.class)).hasSize(1);
    }

    @Test
    void aPeerWithinTheSkewIsJudgedAsBefore() throws Exception {
        Peer near = new Peer();
        core.onConnected(near.id, verified(near, now - 60_000), false, now);
        long ahead = now + config.maxClockSkew().toMillis() + 60_000;

        List<Effect> effects = core.onMessage(near.id, Peer.announce(near.inventory(ahead, Peer.commit(6))), now);

        assertThat(only(effects, Fetch.class)).isEmpty();
        assertThat(only(effects, ClockSkew.class)).hasSize(1);
    }
}
