package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.Unavailable;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Holder hints for the node's own work, as a rogue coordinator entry or a lying unit would name
 * them (records.proto's NodeInfo): the node itself, or a loopback port when the list came from a
 * public coordinator. Neither is ever asked; the work hears the commit is unavailable instead of
 * waiting. On virtual time, through the core.
 */
class GossipHintRogueTest {
    final long now = 90_000_000;
    final Identity self = Identity.generate();
    final NodeInfo selfInfo = NodeInfo.newBuilder().setNode(self.publicId().toByteString()).setHost("192.0.2.1").setPort(7000).build();

    GossipCore core() {
        GossipCore core = new GossipCore(self, selfInfo, GossipConfig.defaults(), new Random(5), SignatureCheck.envelopes(),
                Wants.everything());
        core.start(List.of(), now);
        return core;
    }

    @Test
    void aHintNamingTheNodeItselfIsNeverAskedAndTheWorkHearsItIsUnavailable() {
        GossipCore core = core();
        List<Effect> out = core.wantFrom(Peer.commit(1), List.of(selfInfo), PeerAddress.Reach.GLOBAL, now);

        assertThat(out).noneMatch(e -> e instanceof Fetch);
        assertThat(out).anyMatch(e -> e instanceof Unavailable u && u.commit().equals(Peer.commit(1)));
    }

    @Test
    void aLoopbackHintFromAPublicListIsNeverDialledNorFetchedFrom() {
        GossipCore core = core();
        Identity other = Identity.generate();
        NodeInfo loopback = NodeInfo.newBuilder().setNode(other.publicId().toByteString()).setHost("127.0.0.1").setPort(22).build();

        List<Effect> out = core.wantFrom(Peer.commit(2), List.of(loopback), PeerAddress.Reach.GLOBAL, now);

        assertThat(out).noneMatch(e -> e instanceof Fetch f && f.addresses().stream()
                .anyMatch(a -> a.info().getHost().equals("127.0.0.1")));
        assertThat(out).noneMatch(e -> e instanceof Effect.Dial d && d.peer().getHost().equals("127.0.0.1"));
    }
}
