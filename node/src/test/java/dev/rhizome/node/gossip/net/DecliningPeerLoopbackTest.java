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
        Rested run = restsBesideHonest(new DecliningPeer(fakes(0xdec1000)));
        LoopbackNet.Started asker = run.honest().asker();

        // Each of the two honest nodes: four declines start the rest, plus what was in flight on the
        // rogue's second fetch slot. Three asks a commit were 240.
        assertThat(run.requestsWhenResting()).isLessThanOrEqualTo(2 * 5);
        boolean resting = LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).isResting(run.rogue()));
        assertThat(resting).isTrue();
        assertThat(asker.scoreOf(run.rogue())).isZero();
        assertThat(asker.scoreOf(run.honest().maker().id())).isZero();
    }

    /**
     * Round 18: "busy" to every request, the answer an honest holder at its upload limit gives. It is
     * no offence (the rogue keeps score 0), but it rests the rogue as any decline does, so each honest
     * node asks it a few times, not three times a commit, and an honest bundle still arrives.
     */
    @Test
    void aRogueAnsweringBusyToEveryRequestRestsAfterAFewAndCostsNoScore() throws Exception {
        Rested run = restsBesideHonest(new DecliningPeer(fakes(0xb5e1000), dev.rhizome.proto.v1.Error.Code.UNAVAILABLE));
        LoopbackNet.Started asker = run.honest().asker();

        assertThat(run.requestsWhenResting()).isLessThanOrEqualTo(2 * 5);
        assertThat(asker.scoreOf(run.rogue())).isZero();
        assertThat(asker.scoreOf(run.honest().maker().id())).isZero();
        assertThat(asker.linkedTo(run.honest().maker().id())).isTrue();
    }

    /** What a run beside a declining rogue leaves to check: the bundle requests it had when the asker rested it. */
    private record Rested(PublicId rogue, LoopbackNet.Honest honest, int requestsWhenResting) {
    }

    /** {@code rogue} listed beside two honest nodes, until the asker rests it and an honest commit arrives anyway. */
    private Rested restsBesideHonest(DecliningPeer rogue) throws Exception {
        net.listed(rogue);
        PublicId rogueId = rogue.identity.publicId();
        LoopbackNet.Honest honest = net.besideRogue(tmp, rogue);
        LoopbackNet.Started asker = honest.asker();

        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).isResting(rogueId)), Duration.ofSeconds(30));
        int whenResting = rogue.bundleRequests();

        honest.commitArrives(Duration.ofSeconds(20));
        return new Rested(rogueId, honest, whenResting);
    }

    /** Forty made-up commits from {@code base}, which the rogue announces and does not hold. */
    private static List<String> fakes(int base) {
        List<String> fakes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            fakes.add(String.format("%040x", base + i));
        }
        return fakes;
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
