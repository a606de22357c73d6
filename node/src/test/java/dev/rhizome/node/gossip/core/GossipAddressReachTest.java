package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static dev.rhizome.node.gossip.core.GossipReflectionTest.madeUp;
import static dev.rhizome.node.gossip.core.GossipReflectionTest.nodeInfo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchange;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A rogue may sign NodeInfos naming any address: records naming loopback, link-local or private
 * addresses, handed on over a link from the internet, had honest volunteers dial hosts on their
 * own LAN for it. An address learnt from a peer is kept, dialled, relayed and handed on only if it
 * reaches no narrower than the link it came by; what the volunteer or the coordinator gave is
 * trusted as configured. Virtual time.
 */
class GossipAddressReachTest {
    /** Addresses a rogue on the internet would have a volunteer dial on the volunteer's own network. */
    static final List<String> NARROW = List.of("127.0.0.1", "::1", "localhost", "db.localhost", "10.0.0.1",
            "172.16.5.5", "192.168.1.1", "100.64.0.1", "169.254.169.254", "fe80::1", "fd00::1", "printer.local",
            "::ffff:192.168.1.1", "64:ff9b::c0a8:101", "0.1.2.3");

    final GossipCore core = new GossipCore(Identity.generate(),
            NodeInfo.newBuilder().setHost("93.184.216.9").setPort(7000).build(), GossipConfig.defaults(), new Random(5),
            SignatureCheck.envelopes());
    long now = 10_000_000;
    int hosts;

    /** A peer linked to {@code core} over a link of {@code reach}, its hello naming {@code host}. */
    Identity linked(String host, Reach reach, boolean outbound) throws Exception {
        Identity peer = Identity.generate();
        SignedEnvelope hello = Envelopes.sign(peer, NodeInfo.newBuilder().setNode(peer.publicId().toByteString())
                .setHost(host).setPort(7000).setTimeMs(now).build());
        List<Effect> effects = core.onConnected(peer.publicId(), Envelopes.open(hello, NodeInfo.getDefaultInstance()),
                outbound, new LinkEnd(host + " (link)", reach), now);
        assertThat(effects).noneMatch(e -> e instanceof Effect.Disconnect);
        return peer;
    }

    String globalHost() {
        return "93.184.217." + (++hosts);
    }

    List<Effect> minuteOfTicks() {
        List<Effect> effects = new ArrayList<>();
        for (int step = 0; step < 60; step++) {
            now += 1_000;
            effects.addAll(core.onTick(now));
        }
        return effects;
    }

    @Test
    void recordsNamingAddressesNarrowerThanTheLinkAreNeitherKeptNorDialledNorPassedOn() throws Exception {
        Identity rogue = linked(globalHost(), Reach.GLOBAL, true);  // outbound: we asked it for peers
        Identity honest = linked(globalHost(), Reach.GLOBAL, false);
        List<SignedEnvelope> narrow = new ArrayList<>();
        NARROW.forEach(host -> narrow.add(madeUp(host, 22, now)));
        SignedEnvelope global = madeUp(globalHost(), 7000, now);

        List<Effect> effects = new ArrayList<>(core.onMessage(rogue.publicId(), Gossip.newBuilder()
                .setPeerExchange(PeerExchange.newBuilder().addAllNodes(narrow.subList(0, 8))).build(), now));
        for (SignedEnvelope record : narrow.subList(8, narrow.size())) {
            effects.addAll(core.onMessage(rogue.publicId(), Peer.announce(record), now));
        }
        effects.addAll(core.onMessage(rogue.publicId(), Peer.announce(global), now));
        effects.addAll(minuteOfTicks());

        assertThat(only(effects, Dial.class)).as("dials: only the global record's")
                .extracting(d -> d.peer().getHost()).containsOnly(nodeInfo(global).getHost());
        assertThat(only(effects, Send.class)).as("relays to the honest neighbour")
                .noneMatch(s -> s.message().hasAnnouncement() && narrow.contains(s.message().getAnnouncement()));
        assertThat(core.stats().peerTableSize()).as("the two linked peers and the global record").isEqualTo(3);
        List<Effect> answer = core.onMessage(honest.publicId(), Gossip.newBuilder()
                .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(32)).build(), now);
        assertThat(only(answer, Send.class).get(0).message().getPeerExchange().getNodesList()).doesNotContainAnyElementsOf(narrow);
        assertThat(core.score(rogue.publicId())).as("an older node relays such records: no offence").isEqualTo(0.0);
    }

    @Test
    void aHelloNamingAPrivateAddressOverALinkFromTheInternetIsLinkedButNeverFetchedFromOrDialledThere() throws Exception {
        Identity natted = linked("192.168.1.1", Reach.GLOBAL, false);
        PublicId id = natted.publicId();
        List<Effect> effects = new ArrayList<>(core.onMessage(id, Gossip.newBuilder().setAnnouncement(
                new Peer().inventory(now, Peer.commit(1))).build(), now));
        SignedEnvelope inventory = Envelopes.sign(natted, Inventory.newBuilder()
                .setNode(id.toByteString()).addCommits(Peer.commit(2)).setTimeMs(now).build());
        effects.addAll(core.onMessage(id, Peer.announce(inventory), now));
        assertThat(only(effects, Fetch.class)).as("the fetch of what it announced").isNotEmpty()
                .allSatisfy(f -> assertThat(f.holders()).noneMatch(h -> h.getHost().equals("192.168.1.1")));
        effects.addAll(core.onDisconnected(id, now));
        effects.addAll(minuteOfTicks());
        assertThat(only(effects, Dial.class)).as("dials").isEmpty();
        assertThat(only(core.stop(now), Effect.SavePeers.class)).as("remembered for a restart, read back as trusted")
                .allSatisfy(s -> assertThat(s.peers()).noneMatch(e -> e.getSigner().equals(id.toByteString())));
    }

    @Test
    void aLinkOnTheLanOrLoopbackMayNameWhatItReaches() throws Exception {
        Identity lan = linked("10.0.0.2", Reach.PRIVATE, true);
        Identity local = linked("127.0.0.1", Reach.LOOPBACK, true);
        SignedEnvelope lanPeer = madeUp("10.0.0.3", 7000, now);
        SignedEnvelope loopbackOverLan = madeUp("127.0.0.1", 7001, now);
        SignedEnvelope loopbackPeer = madeUp("127.0.0.1", 7002, now);
        List<Effect> effects = new ArrayList<>();
        effects.addAll(core.onMessage(lan.publicId(), Peer.announce(lanPeer), now));
        effects.addAll(core.onMessage(lan.publicId(), Peer.announce(loopbackOverLan), now));
        effects.addAll(core.onMessage(local.publicId(), Peer.announce(loopbackPeer), now));
        effects.addAll(minuteOfTicks());
        assertThat(only(effects, Dial.class)).extracting(d -> d.peer().getHost() + ":" + d.peer().getPort())
                .containsOnly("10.0.0.3:7000", "127.0.0.1:7002");
    }

    @Test
    void aRecordLearntOnTheLanIsNeitherRelayedNorHandedToAPeerOnTheInternet() throws Exception {
        Identity lan = linked("10.0.0.2", Reach.PRIVATE, false);
        Identity lanMate = linked("10.0.0.4", Reach.PRIVATE, false);
        Identity remote = linked(globalHost(), Reach.GLOBAL, false);
        SignedEnvelope lanPeer = madeUp("10.0.0.3", 7000, now);
        List<Effect> effects = core.onMessage(lan.publicId(), Peer.announce(lanPeer), now);
        assertThat(only(effects, Send.class)).as("relayed to the LAN mate only")
                .filteredOn(s -> s.message().hasAnnouncement()).extracting(Send::to).containsOnly(lanMate.publicId());
        List<Effect> answer = core.onMessage(remote.publicId(), Gossip.newBuilder()
                .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(32)).build(), now);
        assertThat(only(answer, Send.class).get(0).message().getPeerExchange().getNodesList()).doesNotContain(lanPeer);
        answer = core.onMessage(lanMate.publicId(), Gossip.newBuilder()
                .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(32)).build(), now);
        assertThat(only(answer, Send.class).get(0).message().getPeerExchange().getNodesList()).contains(lanPeer);
    }

    @Test
    void bootstrapAddressesAreTrustedAsConfigured() {
        Identity lanNode = Identity.generate();
        List<Effect> effects = new ArrayList<>(core.start(List.of(NodeInfo.newBuilder()
                .setNode(lanNode.publicId().toByteString()).setHost("192.168.1.20").setPort(7000).build()), now));
        effects.addAll(minuteOfTicks());
        assertThat(only(effects, Dial.class)).extracting(d -> d.peer().getHost()).contains("192.168.1.20");
    }

    /**
     * A host name's reach is known only once it is looked up: a name a rogue on the internet hands
     * on (its suffix says nothing) may resolve to loopback, the LAN or 169.254.169.254. Whatever
     * named it, the dial and the fetch carry the reach of the link it came by, for the driver to
     * check what the name resolves to at each dial.
     */
    @Test
    void aHostNameCarriesTheReachOfTheLinkItCameByToEveryDialAndFetch() throws Exception {
        Identity rogue = linked(globalHost(), Reach.GLOBAL, true);
        SignedEnvelope named = madeUp("lan-probe.example", 7000, now);
        List<Effect> effects = new ArrayList<>(core.onMessage(rogue.publicId(), Peer.announce(named), now));
        effects.addAll(minuteOfTicks());
        assertThat(only(effects, Dial.class)).extracting(d -> d.peer().getHost() + " " + d.learntOver())
                .containsOnly("lan-probe.example GLOBAL");

        Identity namedHello = linked("volunteer.example", Reach.GLOBAL, false);
        List<Effect> fetches = core.onMessage(namedHello.publicId(), Peer.announce(Envelopes.sign(namedHello,
                Inventory.newBuilder().setNode(namedHello.publicId().toByteString())
                        .addCommits(Peer.commit(3)).setTimeMs(now).build())), now);
        assertThat(only(fetches, Fetch.class)).as("fetched from the name its hello gave, over an internet link")
                .extracting(f -> f.where().info().getHost() + " " + f.where().learntOver())
                .containsExactly("volunteer.example GLOBAL");
    }

    @Test
    void rememberedRecordsAreTakenAtTheirOwnWordAndTheCoordinatorsListAsConfigured() {
        GossipCore fresh = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("93.184.216.9").setPort(7000).build(),
                GossipConfig.defaults(), new Random(5), SignatureCheck.envelopes());
        List<NodeInfo> remembered = new ArrayList<>();
        for (String host : List.of("node.example", "box.local", "localhost", "192.168.1.20")) {
            remembered.add(NodeInfo.newBuilder().setNode(Identity.generate().publicId().toByteString()).setHost(host)
                    .setPort(7000).build());
        }
        List<Effect> effects = new ArrayList<>(fresh.start(remembered, now));
        effects.addAll(fresh.learn(List.of(NodeInfo.newBuilder().setNode(Identity.generate().publicId().toByteString())
                .setHost("coordinated.example").setPort(7000).build()), now));
        assertThat(only(effects, Dial.class)).extracting(d -> d.peer().getHost() + " " + d.learntOver())
                .containsExactlyInAnyOrder("node.example GLOBAL", "box.local LINK_LOCAL", "localhost LOOPBACK",
                        "192.168.1.20 PRIVATE", "coordinated.example LOOPBACK");
    }
}
