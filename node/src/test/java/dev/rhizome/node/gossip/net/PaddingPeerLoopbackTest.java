package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.PaddedBundles;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Real nodes on loopback with a rogue written from the schemas serving a padded bundle: its tip a
 * real commit, its pack that commit plus another carrying 200 KB of anything. Honest nodes
 * imported it and relayed it byte for byte; now it is a wrong bundle (a lie, scored), nothing of
 * it stays in their repositories, and honest bundles still arrive.
 */
class PaddingPeerLoopbackTest extends LoopbackTest {
    @Test
    void aBundleCarryingMoreThanItsTipsHistoryIsALieAndNothingOfItIsKept() throws Exception {
        String tip;
        String smuggled;
        byte[] padded;
        try (NodeRepository forge = NodeRepository.open(tmp.resolve("forge.git"))) {
            tip = forge.commitFiles(null, Map.of("train.py", "lr = 0.1\n".getBytes()), "real", GossipServiceTest.AUTHOR);
            byte[] data = new byte[200_000];
            new Random(5).nextBytes(data);
            smuggled = forge.commitFiles(null, Map.of("data.bin", data), "anything", GossipServiceTest.AUTHOR);
            padded = PaddedBundles.bundle(forge, tip, List.of(), List.of(tip, smuggled), List.of());
        }
        LoopbackNet.Honest honest = net.besideLyingServer(tmp, tip, padded);

        for (String node : List.of("maker", "asker")) {
            assertThat(LoopbackNet.stores(tmp.resolve(node), smuggled)).as("%s stored the padding", node).isFalse();
            assertThat(LoopbackNet.stores(tmp.resolve(node), tip)).as("%s stored the tip", node).isFalse();
        }
        assertThat(honest.asker().scoreOf(honest.maker().id())).isZero();
    }
}
