package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.PackBombs;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Real nodes on loopback with a rogue written from the schemas serving a zip bomb: a bundle of a
 * few hundred bytes whose one object declares 1.9 GB. JGit made that array before reading the
 * object (22 s and 1.9 GB of heap for one bundle; four fetch workers at once are past most heaps);
 * now the pack is refused from its header, the rogue is asked a bounded number of times, nothing
 * is imported, and honest bundles still arrive with no honest peer scored.
 */
class BombingPeerLoopbackTest extends LoopbackTest {
    @Test
    void aBundleDeclaringGigabytesIsRefusedFromItsHeaderAndHonestBundlesStillArrive() throws Exception {
        String bombTip = "b0".repeat(20);
        ServingRogue rogue = net.listed(new ServingRogue(bombTip, PackBombs.bundleDeclaring(bombTip, 1_900_000_000L)));
        LoopbackNet.Honest honest = net.besideRogue(tmp, rogue);
        GossipServiceTest.await(() -> rogue.bundleRequests() >= 2, Duration.ofSeconds(30));

        honest.commitArrives(Duration.ofSeconds(30));

        assertThat(honest.asker().repo().has(bombTip)).isFalse();
        assertThat(honest.maker().repo().has(bombTip)).isFalse();
        // Each honest node: at most its three tries of the commit from that holder.
        assertThat(rogue.bundleRequests()).isLessThanOrEqualTo(2 * 3);
        assertThat(honest.asker().scoreOf(honest.maker().id())).isZero();
        // Over this node's bounds, as a bundle announced over its size limit: every honest holder of
        // such a commit would send the same, so it costs nothing (a wrong bundle, -16, would be the
        // header lying about what the pack holds, which the scan refuses too).
        assertThat(honest.asker().scoreOf(rogue.identity.publicId())).isZero();
    }

    /**
     * A delta on an object named by id that the node does not hold is something no node writes
     * (every bundle here comes from a node's JGit writer, which names a base in the pack by
     * offset): it was refused as too large to judge, at no cost, so a rogue could have each of its
     * announced commits fetched and scanned whole for free. Now it is a wrong bundle.
     */
    @Test
    void aBundleOfADeltaOnAnObjectNoNodeHoldsIsALie() throws Exception {
        String tip = "c0".repeat(20);
        LoopbackNet.Honest honest = net.besideLyingServer(tmp, tip, PackBombs.bundleOfADeltaOnNothingHeld(tip));

        assertThat(honest.asker().repo().has(tip)).isFalse();
        assertThat(honest.asker().scoreOf(honest.maker().id())).isZero();
    }
}
