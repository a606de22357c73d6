package dev.rhizome.node.git;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeRepositoryTest {
    static final PersonIdent AUTHOR = new PersonIdent("Ada", "ada@example.org");

    @TempDir
    Path tmp;

    static byte[] text(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void commitFilesReadFileChangedPathsAndCheckoutRoundTrip() throws IOException {
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("node.git"))) {
            String seed = repo.commitFiles(null, Map.of("train.py", text("lr = 0.1\n"), "data/input.txt", text("hello")),
                    "seed", AUTHOR);
            Map<String, byte[]> change = new HashMap<>();
            change.put("train.py", text("lr = 0.2\n"));
            change.put("notes.md", text("tried a higher lr"));
            change.put("data/input.txt", null);
            String experiment = repo.commitFiles(seed, change, "raise lr", AUTHOR);

            assertThat(repo.readFile(experiment, "train.py")).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("lr = 0.2\n"));
            assertThat(repo.readFile(seed, "train.py")).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("lr = 0.1\n"));
            assertThat(repo.readFile(experiment, "data/input.txt")).isEmpty();
            assertThat(repo.readFiles(experiment)).containsOnlyKeys("train.py", "notes.md");
            assertThat(repo.parentOf(experiment)).contains(seed);
            assertThat(repo.parentOf(seed)).isEmpty();
            assertThat(repo.changedPaths(seed, experiment)).containsExactly("data/input.txt", "notes.md", "train.py");
            assertThat(repo.changedPaths(seed, seed)).isEmpty();

            Path checkout = tmp.resolve("checkout");
            repo.checkout(experiment, checkout);
            assertThat(checkout.resolve("train.py")).hasContent("lr = 0.2\n");
            assertThat(checkout.resolve("notes.md")).hasContent("tried a higher lr");
            assertThat(checkout.resolve("data")).doesNotExist();
            assertThat(checkout.resolve(".git")).doesNotExist();
            assertThatThrownBy(() -> repo.checkout(seed, checkout)).hasMessageContaining("not empty");
        }
    }

    /**
     * A first start killed while JGit made the repository, after {@code refs/} and before
     * {@code objects/}: no later start opened it ("Creating directory .../refs failed"). It is made
     * again whole; a directory holding anything a making does not write is refused, saying what to do.
     */
    @Test
    void aRepositoryWhoseMakingWasCutShortIsMadeAgainAndAForeignDirectoryRefused() throws IOException {
        Path dir = tmp.resolve("node.git");
        Files.createDirectories(dir.resolve("refs/heads"));
        Files.createDirectories(dir.resolve("refs/tags"));
        try (NodeRepository repo = NodeRepository.open(dir)) {
            String seed = repo.commitFiles(null, Map.of("train.py", text("lr = 0.1\n")), "seed", AUTHOR);
            assertThat(repo.has(seed)).isTrue();
        }

        Path foreign = tmp.resolve("foreign");
        Files.createDirectories(foreign.resolve("notes"));
        Files.writeString(foreign.resolve("notes/todo.txt"), "mine");
        assertThatThrownBy(() -> NodeRepository.open(foreign)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a repository").hasMessageContaining("notes/todo.txt").hasMessageContaining("move it away");
        assertThat(foreign.resolve("notes/todo.txt")).hasContent("mine");
    }

    @Test
    void everyCommitHeldHasItsOwnRefAndSurvivesReopening() throws IOException {
        Path dir = tmp.resolve("node.git");
        String seed;
        String experiment;
        try (NodeRepository repo = NodeRepository.open(dir)) {
            seed = repo.commitFiles(null, Map.of("a", text("1")), "seed", AUTHOR);
            experiment = repo.commitFiles(seed, Map.of("a", text("2")), "two", AUTHOR);
            assertThat(repo.has("0".repeat(40))).isFalse();
            assertThat(repo.has("not a commit")).isFalse();
        }
        try (NodeRepository repo = NodeRepository.open(dir)) {
            assertThat(repo.commits()).containsExactlyInAnyOrder(seed, experiment);
            assertThat(repo.has(seed)).isTrue();
            assertThat(repo.has(experiment)).isTrue();
        }
    }

    @Test
    void aCommitAnotherInstanceOnTheSameDirectoryMadeIsHeldHereToo() throws IOException {
        Path dir = tmp.resolve("shared.git");
        try (NodeRepository first = NodeRepository.open(dir); NodeRepository second = NodeRepository.open(dir)) {
            String seed = first.commitFiles(null, Map.of("a", text("1")), "seed", AUTHOR);
            assertThat(first.has(seed)).isTrue();
            assertThat(second.has(seed)).as("its ref, looked up where this instance had not seen it").isTrue();
            assertThat(second.has("2".repeat(40))).isFalse();
        }
    }

    @Test
    void aRefAnotherProcessPackedIsSeenHere() throws Exception {
        Path dir = tmp.resolve("packed.git");
        try (NodeRepository first = NodeRepository.open(dir); NodeRepository second = NodeRepository.open(dir)) {
            assertThat(dir.resolve("packed-refs")).exists().isEmptyFile();
            assertThat(second.has("3".repeat(40))).isFalse();  // this instance has read the empty packed-refs
            String seed = first.commitFiles(null, Map.of("a", text("1")), "seed", AUTHOR);
            // What `git gc` (or `git pack-refs --all`) in a shell would do: refs into packed-refs, loose files gone.
            try (org.eclipse.jgit.api.Git other = org.eclipse.jgit.api.Git.open(dir.toFile())) {
                other.gc().call();
            }
            assertThat(dir.resolve("refs/rhizome/commits/" + seed)).doesNotExist();
            assertThat(dir.resolve("packed-refs")).content().contains(seed);

            assertThat(second.has(seed)).as("found in the packed-refs another process rewrote").isTrue();
        }
        try (NodeRepository reopened = NodeRepository.open(dir)) {
            assertThat(reopened.commits()).hasSize(1);
        }
    }

    @Test
    void recentCommitsListTheNewestHeldFirstAndAtMostTheLimit() throws IOException {
        Path dir = tmp.resolve("recent.git");
        String first;
        String second;
        try (NodeRepository repo = NodeRepository.open(dir)) {
            first = repo.commitFiles(null, Map.of("a", text("1")), "one", AUTHOR);
            second = repo.commitFiles(first, Map.of("a", text("2")), "two", AUTHOR);
            String third = repo.commitFiles(second, Map.of("a", text("3")), "three", AUTHOR);

            assertThat(repo.recentCommits(2)).containsExactly(third, second);
            assertThat(repo.recentCommits(10)).containsExactly(third, second, first);
        }
        try (NodeRepository reopened = NodeRepository.open(dir)) {
            String fourth = reopened.commitFiles(second, Map.of("b", text("4")), "four", AUTHOR);
            assertThat(reopened.recentCommits(1)).containsExactly(fourth);
            assertThat(reopened.recentCommits(10)).hasSize(4).startsWith(fourth);
        }
    }

    @Test
    void refusesUnsafePathsAndUnknownParents() throws IOException {
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("node.git"))) {
            for (String bad : new String[] {"../escape", "/etc/passwd", "a/../../b", ".git/config", "dir/", ""}) {
                assertThatThrownBy(() -> repo.commitFiles(null, Map.of(bad, text("x")), "bad", AUTHOR))
                        .as(bad).isInstanceOf(IllegalArgumentException.class);
            }
            assertThatThrownBy(() -> repo.commitFiles("1".repeat(40), Map.of("a", text("x")), "orphan", AUTHOR))
                    .isInstanceOf(IOException.class).hasMessageContaining("not held");
            assertThat(repo.commits()).isEmpty();
        }
    }

    @Test
    void checkoutOfFreshDirectoryCreatesIt() throws IOException {
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("node.git"))) {
            String seed = repo.commitFiles(null, Map.of("deep/nested/file.txt", text("x")), "seed", AUTHOR);
            Path target = tmp.resolve("new/checkout");
            repo.checkout(seed, target);
            assertThat(Files.readString(target.resolve("deep/nested/file.txt"))).isEqualTo("x");
        }
    }

    @Test
    void aSmallBundleThatChecksOutHugeIsRefusedBeforeAnythingIsWritten() throws IOException {
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("node.git"))) {
            // One compressible blob named 2,000 times: 128 MiB of files from a bundle of kilobytes.
            byte[] blob = new byte[64 << 10];
            Map<String, byte[]> files = new HashMap<>();
            for (int i = 0; i < 2000; i++) {
                files.put("f/" + i, blob);
            }
            String bomb = repo.commitFiles(null, files, "bomb", AUTHOR);
            assertThat(repo.bundle(bomb, List.of()).size()).isLessThan(1 << 20);

            Path target = tmp.resolve("checkout");
            assertThatThrownBy(() -> repo.checkout(bomb, target, 16L << 20, 100_000))
                    .isInstanceOf(CheckoutTooLargeException.class).hasMessageContaining("more than 16 MiB");
            assertThatThrownBy(() -> repo.checkout(bomb, target, Long.MAX_VALUE, 1000))
                    .isInstanceOf(CheckoutTooLargeException.class).hasMessageContaining("more than 1000 files");
            assertThat(target).doesNotExist();

            repo.checkout(bomb, target, 128L << 20, 2000); // exactly what it takes
            assertThat(target.resolve("f/1999")).hasSize(64 << 10);
        }
    }
}
