package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static dev.rhizome.node.gossip.core.GossipCoreTimeTest.runUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
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
 * An eclipse by inbound links: a rogue dialling in from as many networks as the node has inbound
 * slots holds every one of them (each network gets its share), and a node with links enough never
 * asked its bootstrap source again, so with nothing in its table it never dialled out and all its
 * links were the rogue's. The outbound quota is its own: while short of it with nothing to dial, it
 * asks again (after {@link Dialer#FIND_OUTBOUND_MS}, each wait then doubling), dials what it learns, and those links take
 * slots inbound ones never fill. Virtual time.
 */
class GossipOutboundQuotaTest {
    final GossipConfig config = GossipConfig.defaults();
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("93.184.216.9").setPort(7000).build(),
            config, new Random(5), SignatureCheck.envelopes());
    long now = 10_000_000;

    @Test
    void aNodeWhoseSlotsInboundRoguesFillAsksForPeersAgainAndDialsOutToItsQuota() throws Exception {
        List<Effect> start = core.start(List.of(), now);
        assertThat(only(start, FindPeers.class)).hasSize(1);  // the coordinator knew no one yet

        // Rogues from as many /16s as there are inbound slots: each network's share is one, so all stay.
        for (int i = 0; i < config.maxInbound(); i++) {
            Peer rogue = new Peer();
            assertThat(only(core.onConnected(rogue.id, Envelopes.open(rogue.hello(now), NodeInfo.getDefaultInstance()), false,
                    new LinkEnd("203." + (10 + i) + ".0.1", Reach.GLOBAL), now), Disconnect.class)).isEmpty();
        }
        assertThat(core.stats().connected()).isEqualTo(config.maxInbound());

        // Nine links, none chosen: before, no FindPeers came again (asked only below two links).
        List<Effect> waited = runUntil(core, List.of(), now, now + Dialer.FIND_OUTBOUND_MS);
        assertThat(only(waited, FindPeers.class)).as("asked again within FIND_OUTBOUND_MS").hasSize(1);
        now += Dialer.FIND_OUTBOUND_MS;

        // The coordinator's answer: honest nodes. The node dials its outbound quota of them.
        List<Peer> honest = new ArrayList<>();
        List<NodeInfo> listed = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Peer p = new Peer();
            honest.add(p);
            listed.add(p.info.toBuilder().setTimeMs(now).build());
        }
        List<Effect> learnt = new ArrayList<>(core.learn(listed, now));
        now += 1_000;
        learnt.addAll(core.onTick(now));
        List<Dial> dials = only(learnt, Dial.class);
        assertThat(dials).as("dials for the outbound slots, within the degree's bound").hasSize(config.outboundQuota());

        // Each dial links though every inbound slot is taken: outbound slots are the node's own.
        for (Dial d : dials) {
            Peer p = honest.stream().filter(h -> h.info.getNode().equals(d.peer().getNode())).findFirst().orElseThrow();
            assertThat(only(core.onConnected(p.id, Envelopes.open(p.hello(now), NodeInfo.getDefaultInstance()), true,
                    new LinkEnd(p.info.getHost(), Reach.GLOBAL), now), Disconnect.class)).as("no slot refused").isEmpty();
        }
        assertThat(core.stats().connected()).isEqualTo(config.maxInbound() + config.outboundQuota());

        // At its quota, the node no longer asks beyond the usual.
        List<Effect> after = runUntil(core, List.of(), now, now + 5 * Dialer.FIND_OUTBOUND_MS);
        assertThat(only(after, FindPeers.class)).isEmpty();
    }

    @Test
    void aNodeShortOfItsQuotaAsksAtTheSlowerPaceNotEveryTenSeconds() throws Exception {
        core.start(List.of(), now);
        for (int i = 0; i < 3; i++) {
            Peer rogue = new Peer();
            core.onConnected(rogue.id, Envelopes.open(rogue.hello(now), NodeInfo.getDefaultInstance()), false,
                    new LinkEnd("203." + (10 + i) + ".0.1", Reach.GLOBAL), now);
        }
        // A network smaller than the quota keeps a node short for good: it asks, but not as often as with no links.
        // (Within the links' idle bound: silent rogues' links close after LINK_IDLE_MS.)
        long span = 200_000;
        assertThat(span).isLessThan(LinkLiveness.LINK_IDLE_MS);
        List<Effect> asked = runUntil(core, List.of(), now, now + span);
        // At 30 s, then 60 s on (90 s), the next 120 s on (past the span): each wait doubles (FindPeersBackoff).
        assertThat(only(asked, FindPeers.class)).hasSize(2);
    }
}
