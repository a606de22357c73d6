package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.RepoCompactor;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Two real nodes on loopback under the wants filter: a linked neighbour that makes commit after
 * large commit, naming this node keeper of each (as a rogue filling a volunteer's disk would),
 * gets no more of them kept than the keeper's budget.
 */
class KeepBudgetLoopbackTest extends LoopbackTest {
    static final long MIB = 1L << 20;
    static final PeerConfig PEER = new PeerConfig(1 << 20, 256 << 10, 2 * MIB, Duration.ofSeconds(2), Duration.ofSeconds(3));
    static final int COMMITS = 12;
    static final long KEEP = 4 * MIB;

    record Node(Identity identity, NodeRepository repo, GossipService gossip) {
        GossipCore.KeepUsage keep() throws InterruptedException {
            return gossip.query(p -> ((GossipCore) p).keepUsage());
        }
    }

    Node start(String name, Wants wants) throws Exception {
        Identity identity = Identity.generate();
        LoopbackNet.Started n = net.start(tmp.resolve(name), identity, wants, PEER, true);
        return new Node(identity, n.repo(), n.gossip());
    }

    @Test
    void aNeighbourNamingThisNodeKeeperOfManyLargeCommitsCannotPushItPastItsKeepBudget() throws Exception {
        Node keeper = start("keeper", Wants.workAndReplicas(1, KEEP, PEER.maxBundleBytes()));
        Node rogue = start("rogue", Wants.workAndReplicas(1));
        GossipServiceTest.await(() -> linked(rogue) > 0 && linked(keeper) > 0, Duration.ofSeconds(60));
        long before = new RepoCompactor(keeper.repo()).usage().bytes();

        Random random = new Random(5);
        for (int i = 0; i < COMMITS; i++) {
            byte[] noise = new byte[(int) MIB];  // incompressible: each bundle about 1 MiB
            random.nextBytes(noise);
            String commit = rogue.repo().commitFiles(null, Map.of("junk" + i + ".bin", noise), "junk " + i,
                    GossipServiceTest.AUTHOR);
            rogue.gossip().onLocalCommit(commit);
        }

        // Every duty is either declined, or taken and its bundle fetched and kept.
        GossipServiceTest.await(() -> settled(keeper), Duration.ofSeconds(60));

        GossipCore.KeepUsage k = keeper.keep();
        assertThat(k.usedBytes()).as("kept for the neighbour").isLessThanOrEqualTo(KEEP);
        assertThat(keeper.repo().commits()).as("commits the keeper took").hasSizeLessThanOrEqualTo((int) (KEEP / MIB));
        assertThat(k.declined()).isGreaterThanOrEqualTo(COMMITS - KEEP / MIB);
        long grown = new RepoCompactor(keeper.repo()).usage().bytes() - before;
        assertThat(grown).as("repository growth").isLessThanOrEqualTo(KEEP + MIB / 2);
    }

    private static boolean settled(Node n) {
        try {
            int held = n.repo().commits().size();
            return held + n.keep().declined() == COMMITS
                    && n.gossip().query(p -> ((GossipCore) p).keptForOthers()).size() == held;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int linked(Node n) {
        try {
            return n.gossip().linkedPeers().size();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
