package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class GossipConvergenceProperties {

    static String commit(Random random) {
        byte[] b = new byte[20];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    @Property(tries = 100)
    void anyInterleavingDeliversEveryCommitToEveryNodeOnce(@ForAll @IntRange(min = 2, max = 12) int nodes,
            @ForAll @IntRange(min = 1, max = 4) int commits, @ForAll @IntRange(min = 1, max = 3) int bootstrap,
            @ForAll long seed) {
        TestNet net = new TestNet(nodes, GossipConfig.defaults(), seed);
        net.start(bootstrap);
        List<String> injected = new ArrayList<>();
        for (int c = 0; c < commits; c++) {
            String commit = commit(net.random);
            injected.add(commit);
            int source = net.random.nextInt(nodes);
            net.apply(source, net.cores.get(source).onLocalCommit(commit, net.now));
            net.run(net.random.nextInt(50), 1000, () -> false); // commits land while the mesh is still forming
        }

        net.run(200_000, 1000, () -> net.allHold(injected));

        assertThat(net.allHold(injected)).as("every node holds every commit").isTrue();
        for (int i = 0; i < nodes; i++) {
            // no loss in this network, so one fetch per commit not made locally
            assertThat(net.fetchesPerNode.get(i)).isLessThanOrEqualTo(commits);
        }
    }
}
