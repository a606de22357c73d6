package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A linked peer that stops reading while it sends valid messages kept its link: what we sent it
 * past the write mark was dropped (withdrawals among it), and the idle rule never fired. A link
 * whose outbound buffer stays over the mark for {@link LinkLiveness#UNREAD_MS} is closed, as routine;
 * one that drains in time is kept. Virtual time.
 */
class GossipUnreadLinkTest {
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("127.0.0.1").setPort(7000).build(),
            GossipConfig.defaults(), new Random(9), SignatureCheck.envelopes());
    long now = 10_000_000;

    /** Ticks for {@code ms} while the peer sends a valid message every 10 s (so the idle rule never fires). */
    List<Effect> busyFor(Peer peer, long ms) {
        List<Effect> effects = new ArrayList<>();
        for (long end = now + ms; now < end; ) {
            now += 1_000;
            effects.addAll(core.onTick(now));
            if (now % 10_000 == 0) {
                effects.addAll(core.onMessage(peer.id, Gossip.newBuilder()
                        .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(1)).build(), now));
            }
        }
        return effects;
    }

    @Test
    void aPeerThatReadsNothingWhileItSendsValidMessagesLosesItsLink() {
        Peer rogue = Peer.connectedTo(core, now);
        core.onWritable(rogue.id, false, now);
        List<Effect> effects = busyFor(rogue, LinkLiveness.UNREAD_MS - 2_000);
        assertThat(only(effects, Disconnect.class)).as("within the bound").isEmpty();
        effects = busyFor(rogue, 3_000);
        assertThat(only(effects, Disconnect.class)).singleElement()
                .satisfies(d -> assertThat(d.peer()).isEqualTo(rogue.id))
                .satisfies(d -> assertThat(d.routine()).as("an overloaded honest node is no offender").isTrue());
        assertThat(core.score(rogue.id)).isEqualTo(0.0);
    }

    @Test
    void aSlowReaderWhoseBufferDrainsInTimeKeepsItsLink() {
        Peer slow = Peer.connectedTo(core, now);
        for (int round = 0; round < 5; round++) {
            core.onWritable(slow.id, false, now);
            assertThat(only(busyFor(slow, LinkLiveness.UNREAD_MS - 10_000), Disconnect.class)).isEmpty();
            core.onWritable(slow.id, true, now);
            assertThat(only(busyFor(slow, 5_000), Disconnect.class)).isEmpty();
        }
        assertThat(core.stats().connected()).isEqualTo(1);
    }
}
