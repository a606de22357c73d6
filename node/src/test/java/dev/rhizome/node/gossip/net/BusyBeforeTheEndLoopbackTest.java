package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real nodes on loopback with a rogue written from the schemas that announces 20 large commits and
 * ends every upload with BUSY a thousand bytes before its end. A decline is free, and before, each
 * honest node took four nearly whole bundles from it before its first rest; now the first such
 * decline starts the rest (a late decline), it costs nothing in score, and an honest bundle still arrives.
 */
class BusyBeforeTheEndLoopbackTest extends LoopbackTest {
    @Test
    void aRogueEndingEveryUploadJustBeforeItsEndRestsAfterItsFirstAndCostsNoScore() throws Exception {
        List<String> fakes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            fakes.add(String.format("%040x", 0xb05e000 + i));
        }
        BusyBeforeTheEndPeer rogue = net.listed(new BusyBeforeTheEndPeer(fakes, 2 << 20));
        PublicId rogueId = rogue.identity.publicId();
        LoopbackNet.Honest honest = net.besideRogue(tmp, rogue);
        LoopbackNet.Started asker = honest.asker();

        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).isResting(rogueId)), Duration.ofSeconds(30));
        GossipServiceTest.await(() -> LoopbackNet.ask(honest.maker().gossip(), p -> ((GossipCore) p).isResting(rogueId)),
                Duration.ofSeconds(30));
        int whenResting = rogue.bundleRequests();

        honest.commitArrives(Duration.ofSeconds(20));

        // Each of the two honest nodes: its first late decline, plus what was in flight on the
        // rogue's other fetch slot (2 a peer). Four declines before the first rest were 2 x 5.
        assertThat(whenResting).isLessThanOrEqualTo(2 * 2);
        assertThat(asker.scoreOf(rogueId)).isZero();
        assertThat(asker.scoreOf(honest.maker().id())).isZero();
    }
}
