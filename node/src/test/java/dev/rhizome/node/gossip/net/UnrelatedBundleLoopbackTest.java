package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.NodeRepository;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Real nodes on loopback with a rogue written from the schemas that announces a commit and answers
 * every request for it with a valid bundle of another, unrelated commit (true digests, a clean
 * pack): a wrong bundle, scored as a lie; nothing of it stays in an honest repository, and honest
 * bundles still arrive, their maker unscored.
 */
class UnrelatedBundleLoopbackTest extends LoopbackTest {
    @Test
    void aValidBundleOfAnotherCommitIsALieAndNothingOfItIsKept() throws Exception {
        String unrelated;
        byte[] bundle;
        try (NodeRepository other = NodeRepository.open(tmp.resolve("other.git"))) {
            unrelated = other.commitFiles(null, Map.of("notes.txt", "nothing to do with it\n".getBytes()), "other",
                    GossipServiceTest.AUTHOR);
            bundle = Files.readAllBytes(other.bundle(unrelated, List.of()).path());
        }
        String announced = String.format("%040x", 0x0dd1L);

        LoopbackNet.Honest honest = net.besideLyingServer(tmp, announced, bundle);

        for (String node : List.of("maker", "asker")) {
            assertThat(LoopbackNet.stores(tmp.resolve(node), unrelated)).as("%s stored the unrelated commit", node).isFalse();
        }
        assertThat(honest.asker().repo().has(announced)).isFalse();
        assertThat(honest.asker().scoreOf(honest.maker().id())).isZero();
    }
}
