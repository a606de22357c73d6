package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real nodes on loopback with a rogue written from the schemas that announces 40 commits it does
 * not hold and answers every request INTERNAL. A decline is free, so before, each honest node asked
 * it three times a commit (120 requests); now it rests after a few, costs nothing in score, and an
 * honest bundle still arrives.
 */
class DecliningPeerLoopbackTest {
    @TempDir
    Path tmp;

    final LoopbackNet net = new LoopbackNet();
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        net.close();
    }

    @Test
    void aRogueThatDeclinesEveryRequestRestsAfterAFewAndCostsNoScore() throws Exception {
        List<String> fakes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            fakes.add(String.format("%040x", 0xdec1000 + i));
        }
        DecliningPeer rogue = new DecliningPeer(fakes);
        open.add(rogue);
        PublicId rogueId = rogue.identity.publicId();
        net.directory.add(rogue.info());
        Identity makerId = Identity.generate();
        LoopbackNet.Started maker = net.start(tmp.resolve("maker"), makerId, Wants.everything(), null, true);
        LoopbackNet.Started asker = net.start(tmp.resolve("asker"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).connectedPeers().contains(rogueId))
                && LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).connectedPeers().contains(makerId.publicId())),
                Duration.ofSeconds(20));

        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).isResting(rogueId)), Duration.ofSeconds(30));
        int whenResting = rogue.bundleRequests();

        String commit = maker.repo().commitFiles(null, Map.of("a.txt", "real".getBytes()), "real", GossipServiceTest.AUTHOR);
        maker.gossip().onLocalCommit(commit);
        GossipServiceTest.await(() -> asker.repo().has(commit), Duration.ofSeconds(20));

        // Each of the two honest nodes: four declines start the rest, plus what was in flight on the
        // rogue's second fetch slot. Three asks a commit were 240.
        assertThat(whenResting).isLessThanOrEqualTo(2 * 5);
        boolean resting = LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).isResting(rogueId));
        double rogueScore = LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).score(rogueId));
        double makerScore = LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).score(makerId.publicId()));
        assertThat(resting).isTrue();
        assertThat(rogueScore).isZero();
        assertThat(makerScore).isZero();
    }
}
