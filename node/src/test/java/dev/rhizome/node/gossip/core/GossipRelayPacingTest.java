package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Rogues on several links pour valid NodeInfo announcements into one node, each rogue within its
 * own token bucket (so none is penalised), re-signing a pool of made-up nodes newer each time so
 * every one teaches the node something and is relayed. The node relayed them as fast as they came,
 * several times what one link's bucket takes, and its honest neighbour banned it as a flooder.
 */
class GossipRelayPacingTest {
    final GossipConfig config = GossipConfig.defaults();
    final Identity aId = Identity.generate();
    final GossipCore a = new GossipCore(aId, NodeInfo.newBuilder().setHost("192.0.2.10").setPort(7000).build(), config,
            new Random(1), SignatureCheck.envelopes());
    final Identity bId = Identity.generate();
    final GossipCore b = new GossipCore(bId, NodeInfo.newBuilder().setHost("192.0.2.11").setPort(7000).build(), config,
            new Random(2), SignatureCheck.envelopes());
    long now = 10_000_000;

    @Test
    void whatRoguesPourInOverSeveralLinksIsRelayedAtAPaceTheHonestNeighbourTakes() {
        deliver(a.onConnected(bId.publicId(), b.signedSelfInfo(now), true, now));
        deliver(b.onConnected(aId.publicId(), a.signedSelfInfo(now), false, now));
        List<Peer> rogues = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            rogues.add(Peer.connectedTo(a, now));
        }
        List<Peer> made = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            made.add(new Peer());
        }

        int relayed = 0;
        for (int step = 0; step < 120; step++) { // 3 s, each rogue sending 40 a second: inside its own bucket
            now += 25;
            for (int r = 0; r < rogues.size(); r++) {
                Peer node = made.get((step * rogues.size() + r) % made.size());
                relayed += deliver(a.onMessage(rogues.get(r).id, Peer.announce(node.hello(now)), now));
            }
        }

        for (Peer rogue : rogues) {
            assertThat(a.score(rogue.id)).as("each rogue stayed inside its bucket").isGreaterThanOrEqualTo(0.0);
        }
        assertThat(relayed).as("relays reaching B").isPositive();
        assertThat(b.isBanned(aId.publicId(), now)).as("the honest relay banned").isFalse();
        assertThat(b.score(aId.publicId())).isGreaterThanOrEqualTo(0.0);
    }

    /** Hands A's messages for B to B, at the same time; returns how many were announcements. */
    private int deliver(List<Effect> effects) {
        int announcements = 0;
        for (Effect e : effects) {
            if (e instanceof Send send && send.to().equals(bId.publicId())) {
                announcements += send.message().hasAnnouncement() ? 1 : 0;
                b.onMessage(aId.publicId(), send.message(), now);
            }
        }
        return announcements;
    }
}
