package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchange;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The links' idle rule and keepalive, on virtual time. The peer table holds one peer, so once it
 * is full no peer exchange goes out every 30 s: a link then carries nothing but keepalives.
 */
class GossipLinkIdleTest {
    static final GossipConfig D = GossipConfig.defaults();
    static final GossipConfig ONE_PEER = new GossipConfig(1, 2, 1, D.seenTtl(), D.maxSeen(), D.maxClockSkew(), D.fetchStall(),
            D.maxCommitsPerInventory(), D.announcementsPerSecond(), D.announcementBurst(), D.disconnectScore(), D.banScore(),
            D.banDuration(), D.redialBase(), D.redialMax());
    final GossipCore core = new GossipCore(Identity.generate(),
            NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), ONE_PEER, new Random(1),
            SignatureCheck.envelopes());
    long now = 10_000_000;

    @Test
    void aSilentPeerIsSentKeepalivesAndItsLinkIsClosedOnceIdleForTheRule() {
        Peer silent = Peer.connectedTo(core, now);
        List<Effect> effects = new ArrayList<>();
        long start = now;
        while (now - start < LinkLiveness.LINK_IDLE_MS + 2_000 && only(effects, Disconnect.class).isEmpty()) {
            effects.addAll(core.onTick(now += 1_000));
        }
        List<Send> keepalives = only(effects, Send.class).stream()
                .filter(s -> s.to().equals(silent.id) && s.message().getPeerExchangeRequest().getMax() == 1).toList();
        assertThat(keepalives).as("keepalives sent").hasSizeGreaterThanOrEqualTo(3);
        assertThat(keepalives).hasSizeLessThanOrEqualTo((int) (LinkLiveness.LINK_IDLE_MS / LinkLiveness.KEEPALIVE_MS) + 1);
        List<Disconnect> cut = only(effects, Disconnect.class);
        assertThat(cut).hasSize(1);
        assertThat(cut.get(0).peer()).isEqualTo(silent.id);
        assertThat(cut.get(0).routine()).as("an idle link is no offence").isTrue();
        assertThat(now - start).isGreaterThanOrEqualTo(LinkLiveness.LINK_IDLE_MS);
        assertThat(core.connectedPeers()).doesNotContain(silent.id);
    }

    @Test
    void aPeerThatAnswersKeepalivesKeepsItsLinkOnAQuietNetwork() {
        Peer quiet = Peer.connectedTo(core, now);
        int keepalives = 0;
        for (int i = 0; i < 30 * 60; i++) {
            for (Send s : only(core.onTick(now += 1_000), Send.class)) {
                if (s.to().equals(quiet.id) && s.message().hasPeerExchangeRequest()) {
                    keepalives++;
                    // An honest node (of this version or an older one) answers with its own NodeInfo.
                    List<Effect> answer = core.onMessage(quiet.id, Gossip.newBuilder().setPeerExchange(
                            PeerExchange.newBuilder().addNodes(quiet.hello(now))).build(), now);
                    assertThat(only(answer, Disconnect.class)).isEmpty();
                }
            }
        }
        assertThat(core.connectedPeers()).contains(quiet.id);
        assertThat(keepalives).as("one a minute, no more").isBetween(25, 31);
        assertThat(core.score(quiet.id)).isZero();
    }
}
