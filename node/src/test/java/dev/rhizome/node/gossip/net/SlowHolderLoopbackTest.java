package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real nodes on loopback with two rogues written from the schemas that announce commits they do
 * not hold and, asked for one, send its bytes just above the stall floor: before, they held all four
 * of a node's fetch slots for hours (two each) and an honest bundle waited behind them. Now slow
 * transfers give up slots to fetches a faster holder can serve, and nobody loses score for it.
 */
class SlowHolderLoopbackTest extends LoopbackTest {
    static List<String> fakes(int base) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            out.add(String.format("%040x", base + i));
        }
        return out;
    }

    @Test
    void twoTricklingHoldersCannotKeepAnHonestBundleWaitingForAFetchSlot() throws Exception {
        TricklingPeer slowA = net.listed(new TricklingPeer(fakes(0x51a0000)));
        TricklingPeer slowB = net.listed(new TricklingPeer(fakes(0x51b0000)));
        PublicId a = slowA.identity.publicId();
        PublicId b = slowB.identity.publicId();
        Identity makerId = Identity.generate();
        LoopbackNet.Started asker = net.start(tmp.resolve("asker"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).connectedPeers().containsAll(List.of(a, b))
                && ((GossipCore) p).stats().fetchesStarted() >= GossipCore.MAX_CONCURRENT_FETCHES), Duration.ofSeconds(60));
        LoopbackNet.Started maker = net.start(tmp.resolve("maker"), makerId, Wants.everything(), null, true);
        GossipServiceTest.await(() -> asker.linkedTo(makerId.publicId()), Duration.ofSeconds(60));

        // The tricklers' transfers are judged after three stall periods of bytes (30 s by default).
        new LoopbackNet.Honest(maker, asker).commitArrives(Duration.ofSeconds(120));

        assertThat(asker.scoreOf(a)).isZero();
        assertThat(asker.scoreOf(b)).isZero();
        assertThat(asker.scoreOf(makerId.publicId())).isZero();
    }

    @Test
    void aHolderSendingEmptyChunksIsJudgedAtTheCoresStallPeriod() throws Exception {
        TricklingPeer empty = net.listed(new TricklingPeer(fakes(0x5e00000), 0));
        PublicId rogue = empty.identity.publicId();
        LoopbackNet.Started asker = net.start(tmp.resolve("asker"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).connectedPeers().contains(rogue)),
                Duration.ofSeconds(20));
        // Each empty chunk was reported as progress at 0 bytes, which the core reads as "not started
        // yet": only the transfer's own check (two idle periods, 60 s) ended it.
        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).stats().fetchesFailed() > 0),
                Duration.ofSeconds(25));
    }
}
