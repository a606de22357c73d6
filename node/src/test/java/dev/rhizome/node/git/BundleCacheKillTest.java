package dev.rhizome.node.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.disk.DataJanitor;
import dev.rhizome.protocol.CrashPoints;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A node killed (SIGKILL, a real child process held at crash point {@code bundle-cached}) with a
 * bundle written whole to its temporary file in the bundle cache and not yet renamed into place, one
 * it built to serve or one it received and imported: nothing is under the bundle's name, the
 * restart's clean-up removes the temporary file, and the bundle the restarted node serves is whole
 * (a fetcher imports it), its received commit still held.
 */
class BundleCacheKillTest {
    static final long MAX = 64L << 20;

    @TempDir
    Path tmp;

    enum Write { BUILT, RECEIVED }

    /** The child: args[0] the node's repository; BUILT args[1] the tip; RECEIVED args[1] a bundle file, args[2] its tip. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            try (NodeRepository repo = NodeRepository.open(Path.of(args[0]))) {
                if (args.length == 2) {
                    repo.bundle(args[1], List.of());
                } else {
                    Path received = Path.of(args[1]);
                    repo.importBundle(received, args[2], MAX);
                    repo.keepReceivedBundle(received, args[2]);
                }
            }
            System.out.println("cached, not killed");
        }
    }

    @ParameterizedTest
    @EnumSource(Write.class)
    void aNodeKilledBeforeACachedBundlesRenameServesItWholeAfterItsRestart(Write write) throws Exception {
        NodeLayout layout = new NodeLayout(tmp.resolve("node"));
        Path repoDir = layout.repository();
        Files.createDirectories(repoDir.getParent());
        Path cache = repoDir.resolveSibling(repoDir.getFileName() + ".bundles");
        String tip;
        List<String> args = new ArrayList<>(List.of(repoDir.toString()));
        if (write == Write.BUILT) {
            try (NodeRepository repo = NodeRepository.open(repoDir)) {
                tip = BundleCachePruneTest.commit(repo, 1);
            }
            args.add(tip);
        } else {
            Path received = tmp.resolve("received.bundle");
            try (NodeRepository source = NodeRepository.open(tmp.resolve("source.git"))) {
                tip = BundleCachePruneTest.commit(source, 2);
                Files.copy(source.bundle(tip, List.of()).path(), received);
            }
            args.add(received.toString());
            args.add(tip);
        }

        killAtTheCrashPoint(args);

        List<String> left = names(cache);
        assertThat(left).as("killed before the rename: a temporary file and no bundle").isNotEmpty()
                .allMatch(n -> n.endsWith(".tmp"));
        assertThat(DataJanitor.removeInterruptedWrites(layout)).as("the restart's clean-up").isEqualTo(left.size());
        assertThat(names(cache)).as("left in the cache after the clean-up").isEmpty();

        try (NodeRepository restarted = NodeRepository.open(repoDir)) {
            assertThat(restarted.readFile(tip, write == Write.BUILT ? "w1.bin" : "w2.bin")).as("the commit, held")
                    .isPresent();
            BundleFile served = restarted.bundle(tip, List.of());
            assertThat(WholeBundle.problem(served.path())).as("the bundle served after the restart").isNull();
            assertThat(Files.size(served.path())).isEqualTo(served.size());
            try (NodeRepository fetcher = NodeRepository.open(tmp.resolve("fetcher.git"))) {
                assertThatCode(() -> fetcher.importBundle(served.path(), tip, MAX)).doesNotThrowAnyException();
            }
        }
        assertThat(names(cache)).as("the cache after serving").allMatch(n -> n.endsWith(".bundle"));
    }

    private static void killAtTheCrashPoint(List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Drhizome.crash-point=" + CrashPoints.BUNDLE_CACHED, "-cp", System.getProperty("java.class.path"),
                Child.class.getName()));
        command.addAll(args);
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> said = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                said.add(line);
                if (line.contains("at crash point " + CrashPoints.BUNDLE_CACHED)) {
                    break;
                }
            }
            assertThat(child.isAlive()).as("held at the crash point; it said %s", said).isTrue();
        } finally {
            child.destroyForcibly();  // SIGKILL
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static List<String> names(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
