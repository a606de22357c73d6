package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real nodes on loopback with a rogue written from the schemas that announces 40 commits it does
 * not hold and answers every request INTERNAL. A decline is free, so before, each honest node asked
 * it three times a commit (120 requests); now it rests after a few, costs nothing in score, and an
 * honest bundle still arrives.
 */
class DecliningPeerLoopbackTest extends LoopbackTest {
    @Test
    void aRogueThatDeclinesEveryRequestRestsAfterAFewAndCostsNoScore() throws Exception {
        List<String> fakes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            fakes.add(String.format("%040x", 0xdec1000 + i));
        }
        DecliningPeer rogue = net.listed(new DecliningPeer(fakes));
        PublicId rogueId = rogue.identity.publicId();
        LoopbackNet.Honest honest = net.besideRogue(tmp, rogue);
        LoopbackNet.Started asker = honest.asker();

        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).isResting(rogueId)), Duration.ofSeconds(30));
        int whenResting = rogue.bundleRequests();

        honest.commitArrives(Duration.ofSeconds(20));

        // Each of the two honest nodes: four declines start the rest, plus what was in flight on the
        // rogue's second fetch slot. Three asks a commit were 240.
        assertThat(whenResting).isLessThanOrEqualTo(2 * 5);
        boolean resting = LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).isResting(rogueId));
        assertThat(resting).isTrue();
        assertThat(asker.scoreOf(rogueId)).isZero();
        assertThat(asker.scoreOf(honest.maker().id())).isZero();
    }

    /**
     * Round 18: "busy" to every request, the answer an honest holder at its upload limit gives. It is
     * no offence (the rogue keeps score 0), but it rests the rogue as any decline does, so each honest
     * node asks it a few times, not three times a commit, and an honest bundle still arrives.
     */
    @Test
    void aRogueAnsweringBusyToEveryRequestRestsAfterAFewAndCostsNoScore() throws Exception {
        List<String> fakes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            fakes.add(String.format("%040x", 0xb5e1000 + i));
        }
        DecliningPeer rogue = net.listed(new DecliningPeer(fakes, dev.rhizome.proto.v1.Error.Code.UNAVAILABLE));
        PublicId rogueId = rogue.identity.publicId();
        LoopbackNet.Honest honest = net.besideRogue(tmp, rogue);
        LoopbackNet.Started asker = honest.asker();

        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).isResting(rogueId)), Duration.ofSeconds(30));
        int whenResting = rogue.bundleRequests();

        honest.commitArrives(Duration.ofSeconds(20));

        assertThat(whenResting).isLessThanOrEqualTo(2 * 5);
        assertThat(asker.scoreOf(rogueId)).isZero();
        assertThat(asker.scoreOf(honest.maker().id())).isZero();
        assertThat(asker.linkedTo(honest.maker().id())).isTrue();
    }

    /**
     * Round 18b: a rogue whose address takes each fetch connection, says its proved hello and hangs
     * up before a byte of the bundle. That was a lost connection, retried three times a commit (and
     * resumed within each), so an inventory flood behind such an address cost each made-up commit
     * its tries; it is now a decline (free), so the rogue rests after a few asks and an honest bundle
     * still arrives.
     */
    @Test
    void aRogueHangingUpAfterItsHelloRestsAfterAFewAndCostsNoScore() throws Exception {
        List<String> fakes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            fakes.add(String.format("%040x", 0x4a46000 + i));
        }
        HangingUpPeer rogue = net.listed(new HangingUpPeer(fakes));
        PublicId rogueId = rogue.identity.publicId();
        LoopbackNet.Honest honest = net.besideRogue(tmp, rogue);
        LoopbackNet.Started asker = honest.asker();

        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).isResting(rogueId)), Duration.ofSeconds(30));
        int whenResting = rogue.bundleRequests();

        honest.commitArrives(Duration.ofSeconds(20));

        // Each of the two honest nodes: four declines start the rest, plus what was in flight on the
        // rogue's second fetch slot. As lost connections, three asks a commit were 240, and more resumed.
        assertThat(whenResting).isLessThanOrEqualTo(2 * 5);
        assertThat(asker.scoreOf(rogueId)).isZero();
        assertThat(asker.scoreOf(honest.maker().id())).isZero();
        assertThat(asker.linkedTo(honest.maker().id())).isTrue();
    }
}
