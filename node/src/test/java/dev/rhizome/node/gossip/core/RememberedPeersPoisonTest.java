package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.core.Effect.SavePeers;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Poisoning the remembered-peers file (peers.bin): a rogue's Sybils dial in one after another, each
 * under a fresh key, to push the peers this node chose out of what a restart rejoins through. Those
 * that only dialled in keep at most half the places, and those of one network at most
 * {@link RememberedPeers#REMEMBERED_INBOUND_PER_NETWORK} of them. On virtual time, through the core;
 * links come from distinct loopback addresses (127.0.0.0/8 holds many networks as the core groups them).
 */
class RememberedPeersPoisonTest {
    final GossipConfig config = GossipConfig.defaults();
    final GossipCore core = new GossipCore(Identity.generate(),
            NodeInfo.newBuilder().setHost("192.0.2.38").setPort(7000).build(), config, new Random(38), SignatureCheck.envelopes());
    long now = 38_000_000;

    @Test
    void sybilsDiallingInOneAfterAnotherNeverFlushThePeersThisNodeDialled() {
        core.start(List.of(), now);
        List<Peer> chosen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Peer peer = new Peer();
            core.onConnected(peer.id, peer.hello(now), true, now);
            chosen.add(peer);
        }
        assertThat(core.connectedPeers()).containsAll(chosen.stream().map(p -> p.id).toList());
        int sybilsLinked = 0;
        for (int i = 0; i < 5 * RememberedPeers.REMEMBERED_PEERS; i++) {
            now += 10_000;
            // each from a network of its own: the bound on places holds whatever networks they come from
            if (dialsIn(Identity.generate(), "127." + (i % 250 + 1) + "." + (i / 250) + ".1") != null) {
                sybilsLinked++;
            }
            core.onTick(now);
        }

        Set<ByteString> saved = only(core.stop(now), SavePeers.class).stream().flatMap(s -> s.peers().stream())
                .map(SignedEnvelope::getSigner).collect(Collectors.toSet());
        assertThat(sybilsLinked).as("sybils linked").isGreaterThan(RememberedPeers.REMEMBERED_PEERS);
        assertThat(saved).containsAll(chosen.stream().map(p -> p.id.toByteString()).toList());
        assertThat(saved).hasSize(chosen.size() + RememberedPeers.REMEMBERED_INBOUND);
    }

    /**
     * 32 Sybils from one network (here one /16 of loopback, each at an address of its own in a /24 of
     * its own) took every inbound place: a restart rejoined through that network. Now the network keeps
     * {@link RememberedPeers#REMEMBERED_INBOUND_PER_NETWORK} of them, the most recent, and the honest
     * peers that dialled in earlier from other networks keep theirs.
     */
    @Test
    void sybilsFromOneNetworkKeepAFewPlacesAndPeersOfOtherNetworksKeepTheirs() {
        core.start(List.of(), now);
        List<PublicId> honest = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            now += 10_000;
            PublicId peer = dialsIn(Identity.generate(), "127." + (100 + i) + ".0.1");
            assertThat(peer).as("honest peer %s linked", i).isNotNull();
            honest.add(peer);
            core.onTick(now);
        }
        List<PublicId> sybils = new ArrayList<>();
        for (int i = 0; i < 5 * RememberedPeers.REMEMBERED_PEERS; i++) {
            now += 10_000;
            PublicId sybil = dialsIn(Identity.generate(), "127.0." + (i % 250) + "." + (i / 250 + 1));
            if (sybil != null) {
                sybils.add(sybil);
            }
            core.onTick(now);
        }

        Set<ByteString> saved = only(core.stop(now), SavePeers.class).stream().flatMap(s -> s.peers().stream())
                .map(SignedEnvelope::getSigner).collect(Collectors.toSet());
        assertThat(sybils).as("sybils linked").hasSizeGreaterThan(RememberedPeers.REMEMBERED_INBOUND);
        assertThat(saved).containsAll(honest.stream().map(PublicId::toByteString).toList());
        assertThat(saved).as("the sybils' network keeps its most recent few")
                .containsAll(sybils.subList(sybils.size() - RememberedPeers.REMEMBERED_INBOUND_PER_NETWORK, sybils.size())
                        .stream().map(PublicId::toByteString).toList())
                .hasSize(honest.size() + RememberedPeers.REMEMBERED_INBOUND_PER_NETWORK);
    }

    /** A peer at {@code address} dials in, its hello naming that address, and hangs up: its id if it was linked. */
    PublicId dialsIn(Identity identity, String address) {
        PublicId id = identity.publicId();
        SignedEnvelope hello = Envelopes.sign(identity, NodeInfo.newBuilder().setNode(id.toByteString())
                .setHost(address).setPort(7000).setTimeMs(now).build());
        try {
            core.onConnected(id, Envelopes.open(hello, NodeInfo.getDefaultInstance()), false,
                    new LinkEnd(address, Reach.LOOPBACK), now);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        if (!core.connectedPeers().contains(id)) {
            return null;
        }
        core.onDisconnected(id, now);
        return id;
    }

    /** The bound is on places, not on honest peers that dial in: the most recent of them are remembered. */
    @Test
    void peersThatDialInAreStillRememberedTheMostRecentFirst() {
        core.start(List.of(), now);
        List<Peer> inbound = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Peer peer = new Peer();
            core.onConnected(peer.id, peer.hello(now), false, now);
            inbound.add(peer);
        }

        Set<ByteString> saved = only(core.stop(now), SavePeers.class).stream().flatMap(s -> s.peers().stream())
                .map(SignedEnvelope::getSigner).collect(Collectors.toSet());
        assertThat(saved).containsExactlyInAnyOrderElementsOf(inbound.stream().map(p -> p.id.toByteString()).toList());
    }
}
