package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static dev.rhizome.node.gossip.core.GossipReflectionTest.madeUp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A rogue linked to an honest node and to its neighbour hears everything the honest node signs,
 * and can pass the very bytes on first. A copy refused for who passed it (an Inventory is never
 * relayed; a record out of the passing link's reach) must not stand for the record itself: the
 * seen cache took it, and the honest node's own copy, arriving after, was dropped as a duplicate,
 * so a rogue could censor a neighbour's announcements and withdrawals, and have it scored a false
 * claim for a commit it had said it gave up. Virtual time, through the core.
 */
class GossipCensorshipTest {
    final GossipConfig config = GossipConfig.defaults();
    long now = 80_000_000;

    GossipCore core() {
        return new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.1").setPort(7000).build(), config,
                new Random(3), SignatureCheck.envelopes(), Wants.everything());
    }

    void link(GossipCore dialler, GossipCore target) {
        target.onConnected(dialler.id(), dialler.signedSelfInfo(now), false, now);
        dialler.onConnected(target.id(), target.signedSelfInfo(now), true, now);
    }

    /** The announcement {@code from}'s effects send to {@code to}. */
    static SignedEnvelope sentTo(List<Effect> effects, PublicId to) {
        return only(effects, Send.class).stream().filter(s -> s.to().equals(to) && s.message().hasAnnouncement())
                .findFirst().orElseThrow().message().getAnnouncement();
    }

    @Test
    void aWithdrawalARoguePassedOnFirstStillExcusesItsSignersNotFound() {
        GossipCore holder = core();
        GossipCore asker = core();
        holder.start(List.of(), now);
        asker.start(List.of(), now);
        link(asker, holder);
        Peer rogue = Peer.connectedTo(asker, now);  // also linked to the holder, so it hears what the holder signs

        String commit = Peer.commit(1);
        List<Effect> announced = holder.onLocalCommit(commit, now);
        assertThat(only(Effects.deliver(holder, announced, asker, now), Fetch.class)).extracting(Fetch::commit)
                .containsExactly(commit);
        List<Effect> withdrawal = holder.onDropped(List.of(commit), now);
        now += 50;
        asker.onFetchFailed(holder.id(), commit, FetchFailure.NOT_FOUND, now);  // doubted until the withdrawal comes

        // The rogue passes the holder's own signed withdrawal on before the holder's copy arrives.
        asker.onMessage(rogue.id, Peer.announce(sentTo(withdrawal, asker.id())), now);
        assertThat(asker.score(rogue.id)).as("an Inventory is never relayed").isNegative();
        now += 1_000;
        Effects.deliver(holder, withdrawal, asker, now);

        now += GoneClaims.GRACE_MS * 3;
        asker.onTick(now);
        assertThat(asker.score(holder.id())).as("the holder withdrew the commit it then did not serve").isZero();
    }

    @Test
    void anAnnouncementARoguePassedOnFirstIsStillTakenFromItsSigner() {
        GossipCore holder = core();
        GossipCore asker = core();
        holder.start(List.of(), now);
        asker.start(List.of(), now);
        link(asker, holder);
        Peer rogue = Peer.connectedTo(asker, now);

        String commit = Peer.commit(2);
        List<Effect> announced = holder.onLocalCommit(commit, now);
        asker.onMessage(rogue.id, Peer.announce(sentTo(announced, asker.id())), now);

        assertThat(only(Effects.deliver(holder, announced, asker, now), Fetch.class)).as("fetched from the holder")
                .extracting(Fetch::commit).containsExactly(commit);
    }

    @Test
    void aRecordARogueOnTheInternetPassedOnFirstIsStillLearntFromTheLan() throws Exception {
        GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("93.184.216.9").setPort(7000)
                .build(), config, new Random(5), SignatureCheck.envelopes());
        PublicId lan = linked(core, "10.0.0.2", Reach.PRIVATE);
        PublicId lanMate = linked(core, "10.0.0.4", Reach.PRIVATE);
        PublicId rogue = linked(core, "93.184.217.1", Reach.GLOBAL);
        SignedEnvelope lanPeer = madeUp("10.0.0.3", 7000, now);

        assertThat(only(core.onMessage(rogue, Peer.announce(lanPeer), now), Send.class))
                .as("out of the internet link's reach: not learnt").isEmpty();
        List<Effect> effects = core.onMessage(lan, Peer.announce(lanPeer), now);

        assertThat(only(effects, Send.class)).as("learnt from the LAN and relayed to the LAN mate")
                .filteredOn(s -> s.message().hasAnnouncement()).extracting(Send::to).containsOnly(lanMate);
        assertThat(core.score(rogue)).as("an older node relays such records: no offence").isZero();
    }

    PublicId linked(GossipCore core, String host, Reach reach) throws Exception {
        Identity peer = Identity.generate();
        SignedEnvelope hello = Envelopes.sign(peer, NodeInfo.newBuilder().setNode(peer.publicId().toByteString())
                .setHost(host).setPort(7000).setTimeMs(now).build());
        assertThat(core.onConnected(peer.publicId(), Envelopes.open(hello, NodeInfo.getDefaultInstance()), false,
                new LinkEnd(host + " (link)", reach), now)).noneMatch(e -> e instanceof Effect.Disconnect);
        return peer.publicId();
    }
}
