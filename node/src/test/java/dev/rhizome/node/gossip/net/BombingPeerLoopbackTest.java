package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.PackBombs;
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
 * Real nodes on loopback with a rogue written from the schemas serving a zip bomb: a bundle of a
 * few hundred bytes whose one object declares 1.9 GB. JGit made that array before reading the
 * object (22 s and 1.9 GB of heap for one bundle; four fetch workers at once are past most heaps);
 * now the pack is refused from its header, the rogue is asked a bounded number of times, nothing
 * is imported, and honest bundles still arrive with no honest peer scored.
 */
class BombingPeerLoopbackTest {
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
    void aBundleDeclaringGigabytesIsRefusedFromItsHeaderAndHonestBundlesStillArrive() throws Exception {
        String bombTip = "b0".repeat(20);
        BombingPeer rogue = new BombingPeer(bombTip, PackBombs.bundleDeclaring(bombTip, 1_900_000_000L));
        open.add(rogue);
        PublicId rogueId = rogue.identity.publicId();
        net.directory.add(rogue.info());
        Identity makerId = Identity.generate();
        LoopbackNet.Started maker = net.start(tmp.resolve("maker"), makerId, Wants.everything(), null, true);
        LoopbackNet.Started asker = net.start(tmp.resolve("asker"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).connectedPeers().contains(rogueId))
                && LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).connectedPeers().contains(makerId.publicId())),
                Duration.ofSeconds(20));
        GossipServiceTest.await(() -> rogue.bundleRequests() >= 2, Duration.ofSeconds(30));

        String commit = maker.repo().commitFiles(null, Map.of("a.txt", "real".getBytes()), "real", GossipServiceTest.AUTHOR);
        maker.gossip().onLocalCommit(commit);
        GossipServiceTest.await(() -> asker.repo().has(commit), Duration.ofSeconds(30));

        assertThat(asker.repo().has(bombTip)).isFalse();
        assertThat(maker.repo().has(bombTip)).isFalse();
        // Each honest node: at most its three tries of the commit from that holder.
        assertThat(rogue.bundleRequests()).isLessThanOrEqualTo(2 * 3);
        double makerScore = LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).score(makerId.publicId()));
        assertThat(makerScore).isZero();
        // Over this node's bounds, as a bundle announced over its size limit: every honest holder of
        // such a commit would send the same, so it costs nothing (a wrong bundle, -16, would be the
        // header lying about what the pack holds, which the scan refuses too).
        double rogueScore = LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).score(rogueId));
        assertThat(rogueScore).isZero();
    }
}
