package dev.rhizome.node.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cached bundle an earlier run left torn (renamed into the cache unforced, then a power loss: its
 * tail zeros, or cut short) is made again at the next start before it is served, on a real
 * repository: it was served as it was, every fetcher refused it as a wrong bundle (-16) and scored
 * the honest holder, banned at the second. A whole one is served as left (its bytes unchanged).
 */
class TornCachedBundleTest {
    static final long MAX = 64L << 20;

    @TempDir
    Path tmp;

    @Test
    void aBundleWhoseTailIsZerosIsMadeAgainAndImports() throws Exception {
        tornAndServedAgain(file -> {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.seek(f.length() - 4096);
                f.write(new byte[4096]);  // allocated, never written: a power loss reads zeros
            }
        });
    }

    @Test
    void aBundleCutShortIsMadeAgainAndImports() throws Exception {
        tornAndServedAgain(file -> {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(f.length() / 2);
            }
        });
    }

    @Test
    void aWholeBundleIsServedAsLeft() throws Exception {
        Path repoDir = tmp.resolve("repo.git");
        String tip;
        byte[] left;
        try (NodeRepository repo = NodeRepository.open(repoDir)) {
            tip = BundleCachePruneTest.commit(repo, 1);
            left = Files.readAllBytes(repo.bundle(tip, List.of()).path());
        }
        try (NodeRepository reopened = NodeRepository.open(repoDir)) {
            BundleFile served = reopened.bundle(tip, List.of());
            assertThat(Files.readAllBytes(served.path())).isEqualTo(left);
            assertThat(WholeBundle.problem(served.path())).isNull();
        }
    }

    private void tornAndServedAgain(Tear tear) throws Exception {
        Path repoDir = tmp.resolve("repo.git");
        String tip;
        byte[] whole;
        try (NodeRepository repo = NodeRepository.open(repoDir)) {
            tip = BundleCachePruneTest.commit(repo, 1);
            BundleFile made = repo.bundle(tip, List.of());
            whole = Files.readAllBytes(made.path());
            tear.apply(made.path());
            assertThat(WholeBundle.problem(made.path())).isNotNull();
        }

        try (NodeRepository restarted = NodeRepository.open(repoDir)) {
            BundleFile served = restarted.bundle(tip, List.of());
            byte[] bytes = Files.readAllBytes(served.path());
            assertThat(served.size()).isEqualTo(bytes.length);
            assertThat(Arrays.equals(bytes, whole)).as("made again as before").isTrue();
            try (NodeRepository fetcher = NodeRepository.open(tmp.resolve("fetcher.git"))) {
                assertThatCode(() -> fetcher.importBundle(served.path(), tip, MAX)).doesNotThrowAnyException();
            }
        }
    }

    @FunctionalInterface
    interface Tear {
        void apply(Path file) throws Exception;
    }
}
