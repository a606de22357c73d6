package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchange;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Made-up node ids whose signed NodeInfos name this node's own address, relayed or handed over in
 * peer exchange by a rogue: a dial there reaches this node, which answers as itself, so each one
 * cost a dial and a handshake on both of our ends, and relayed, had our neighbours dial us under
 * ids that are not ours. They teach nothing and are dropped, at no cost to the peer that passed
 * them on (an honest node may hold a record of whoever used our address before us).
 */
class GossipSelfAddressTest {
    static final String OUR_HOST = "192.0.2.9";
    static final int OUR_PORT = 7000;

    final Identity us = Identity.generate();
    final GossipCore core = new GossipCore(us,
            NodeInfo.newBuilder().setHost(OUR_HOST).setPort(OUR_PORT).build(), GossipConfig.defaults(), new Random(1),
            SignatureCheck.envelopes());
    long now = 10_000_000;

    @Test
    void recordsNamingOurOwnAddressAreNeitherKeptDialledRelayedNorHandedOn() {
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        List<Effect> effects = new ArrayList<>();
        PeerExchange.Builder exchange = PeerExchange.newBuilder();
        for (int i = 0; i < 20; i++) {
            effects.addAll(core.onMessage(rogue.id, Peer.announce(GossipReflectionTest.madeUp(OUR_HOST, OUR_PORT, now)), now));
            exchange.addNodes(GossipReflectionTest.madeUp(OUR_HOST.toUpperCase(), OUR_PORT, now));
        }
        effects.addAll(core.onMessage(rogue.id, Gossip.newBuilder().setPeerExchange(exchange).build(), now));
        SignedEnvelope elsewhere = GossipReflectionTest.madeUp("203.0.113.5", OUR_PORT, now);
        effects.addAll(core.onMessage(rogue.id, Peer.announce(elsewhere), now));
        for (int step = 0; step < 100; step++) {
            now += 100;
            effects.addAll(core.onTick(now));
        }

        assertThat(only(effects, Dial.class)).as("dials").noneMatch(d -> d.peer().getHost().equalsIgnoreCase(OUR_HOST))
                .anyMatch(d -> d.peer().getHost().equals("203.0.113.5"));
        assertThat(only(effects, Send.class)).as("relays to the honest neighbour (our own record aside)")
                .filteredOn(s -> s.to().equals(honest.id) && s.message().hasAnnouncement()
                        && !s.message().getAnnouncement().getSigner().equals(us.publicId().toByteString()))
                .isNotEmpty()
                .noneMatch(s -> GossipReflectionTest.nodeInfo(s.message().getAnnouncement()).getHost().equalsIgnoreCase(OUR_HOST));
        List<Effect> answer = core.onMessage(honest.id, Gossip.newBuilder()
                .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(32)).build(), now);
        assertThat(only(answer, Send.class).get(0).message().getPeerExchange().getNodesList())
                .filteredOn(n -> !n.getSigner().equals(us.publicId().toByteString()))
                .noneMatch(n -> GossipReflectionTest.nodeInfo(n).getHost().equalsIgnoreCase(OUR_HOST));
        assertThat(core.score(rogue.id)).as("no cost to the peer that passed them on").isZero();
    }
}
