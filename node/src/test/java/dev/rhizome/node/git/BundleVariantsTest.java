package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rogue asker naming a different ancestor in its {@code have} list each time: the server builds
 * at most {@link ServedBundles#MAX_VARIANTS} bundles of one tip, and every asker still gets one it
 * can import.
 */
class BundleVariantsTest {
    @TempDir
    Path tmp;

    final List<NodeRepository> open = new ArrayList<>();

    @AfterEach
    void close() {
        open.forEach(NodeRepository::close);
    }

    NodeRepository repo(String name) throws Exception {
        NodeRepository repo = NodeRepository.open(tmp.resolve(name));
        open.add(repo);
        return repo;
    }

    @Test
    void askersNamingEveryAncestorInTurnCostABoundedNumberOfBuildsAndEachCanImportWhatItGets() throws Exception {
        NodeRepository server = repo("server.git");
        Random random = new Random(3);
        List<String> chain = new ArrayList<>();
        String parent = null;
        for (int i = 0; i < 12; i++) {
            byte[] noise = new byte[8 << 10];
            random.nextBytes(noise);
            parent = server.commitFiles(parent, Map.of("f" + i + ".bin", noise), "commit " + i, AUTHOR);
            chain.add(parent);
        }
        String tip = chain.get(chain.size() - 1);

        Set<String> served = new HashSet<>();
        for (int k = 0; k < chain.size() - 1; k++) {
            String have = chain.get(k);
            BundleFile bundle = server.bundle(tip, List.of(have));
            served.add(bundle.path().getFileName().toString());
            // An asker that holds exactly the history up to `have` imports what it was given.
            NodeRepository asker = repo("asker-" + k + ".git");
            asker.importBundle(server.bundle(have, List.of()).path(), have, 64L << 20);
            assertThat(asker.importBundle(bundle.path(), tip, 64L << 20)).isEqualTo(tip);
        }

        assertThat(served.size()).as("bundles of one tip built for 11 askers").isLessThanOrEqualTo(ServedBundles.MAX_VARIANTS + 1);
        try (Stream<Path> files = Files.list(tmp.resolve("server.git.bundles"))) {
            long ofTip = files.filter(f -> f.getFileName().toString().startsWith(tip)).count();
            assertThat(ofTip).isLessThanOrEqualTo(ServedBundles.MAX_VARIANTS + 1);
        }
        // An asker holding the parent still gets a thin bundle (against an older ancestor, once the rogue took the places).
        BundleFile thin = server.bundle(tip, List.of(chain.get(chain.size() - 2)));
        assertThat(thin.prerequisites()).isNotEmpty();
    }
}
