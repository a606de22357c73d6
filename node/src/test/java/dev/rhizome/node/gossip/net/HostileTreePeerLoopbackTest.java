package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.HostileTrees;
import dev.rhizome.node.git.HostileTrees.Entry;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.PaddedBundles;
import java.util.List;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;

/**
 * Real nodes on loopback with a rogue written from the schemas serving, under its own signature,
 * a commit whose tree a checkout must never write: {@code train.py} a link to a file of the
 * volunteer's, and a {@code .g\u200Cit} directory (HFS+ reads it as {@code .git}) with a hook-laden
 * config. Both nodes used to import it (and so serve it, and check it out for a job or an agent);
 * now it is a wrong bundle, scored, nothing of it is kept, and honest bundles still arrive.
 */
class HostileTreePeerLoopbackTest extends LoopbackTest {
    @Test
    void aCommitWhoseTreeEscapesACheckoutIsALieAndNothingOfItIsKept() throws Exception {
        String tip;
        byte[] bundle;
        try (NodeRepository forge = NodeRepository.open(tmp.resolve("forge.git"))) {
            ObjectId config = HostileTrees.tree(forge, List.of(
                    Entry.file("config", HostileTrees.blob(forge, "[core]\n\tfsmonitor = ./x\n"))));
            ObjectId root = HostileTrees.tree(forge, List.of(
                    new Entry(FileMode.SYMLINK, HostileTrees.bytes("train.py"), HostileTrees.blob(forge, "/home/ada/.bashrc")),
                    new Entry(FileMode.TREE, HostileTrees.bytes(".g\u200Cit"), config)));
            tip = HostileTrees.commit(forge, root, List.of(), "seed");
            bundle = PaddedBundles.bundle(forge, tip, List.of(), List.of(tip), List.of());
        }
        LoopbackNet.Honest honest = net.besideLyingServer(tmp, tip, bundle);

        for (String node : List.of("maker", "asker")) {
            assertThat(LoopbackNet.stores(tmp.resolve(node), tip)).as("%s stored the tip", node).isFalse();
        }
        assertThat(honest.asker().scoreOf(honest.maker().id())).isZero();
    }
}
