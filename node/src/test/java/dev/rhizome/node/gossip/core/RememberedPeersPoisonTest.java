package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.core.Effect.SavePeers;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Poisoning the remembered-peers file (peers.bin): a rogue's Sybils dial in one after another, each
 * under a fresh key, to push the peers this node chose out of what a restart rejoins through. Those
 * that only dialled in keep at most half the places. On virtual time, through the core.
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
            Peer sybil = new Peer();
            core.onConnected(sybil.id, sybil.hello(now), false, now);
            if (core.connectedPeers().contains(sybil.id)) {
                sybilsLinked++;
                core.onDisconnected(sybil.id, now);
            }
            core.onTick(now);
        }

        Set<ByteString> saved = only(core.stop(now), SavePeers.class).stream().flatMap(s -> s.peers().stream())
                .map(SignedEnvelope::getSigner).collect(Collectors.toSet());
        assertThat(sybilsLinked).as("sybils linked").isGreaterThan(RememberedPeers.REMEMBERED_PEERS);
        assertThat(saved).containsAll(chosen.stream().map(p -> p.id.toByteString()).toList());
        assertThat(saved).hasSize(chosen.size() + RememberedPeers.REMEMBERED_INBOUND);
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
