package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A whole `rhizome node` SIGKILLed at each step of its data janitor's first pass (which runs at
 * start): in the middle of pruning its bundle cache (one bundle deleted, the rest not), once it
 * gave held commits up (their refs gone, their objects not yet repacked away), and inside the
 * repack (JGit's GC, its new pack written to a temporary file, {@code gc.pid} held; and its new pack
 * renamed in and forced beside the old ones, nothing old deleted, since round 35). Started again
 * at once, as a supervisor restarts it, and stopped: its repository opens, every commit that has
 * a ref reads whole (its files and its parent), every commit made here is still there, and nothing
 * is left behind: no {@code gc.pid}, no GC temporary file, no {@code *.tmp} in the data directory.
 * Until 2026-12-05 only a child that repacks or prunes was killed (`GitKillTest`), not a node.
 */
class JanitorKillTest {
    private static final PersonIdent AUTHOR = new PersonIdent("test", "test@example.org");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {CrashPoints.BUNDLES_PRUNED, CrashPoints.REFS_DROPPED, CrashPoints.REPACK_WRITTEN,
            CrashPoints.REPACK_MOVED})
    void aNodeKilledInItsJanitorsPassStartsAgainWithEveryCommitWholeAndNothingLeft(String point) throws Exception {
        Path dataDir = dir.resolve("node");
        Path gitDir = new NodeLayout(dataDir).repository();
        Map<String, String> files = new HashMap<>();  // commit -> the file it adds
        Map<String, byte[]> contents = new HashMap<>();
        List<String> own = fill(gitDir, dir.resolve("source"), files, contents);

        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            // over every cap at once: its first pass prunes the cache, gives every held commit up, repacks
            Process killed = RealProcess.start(node(dataDir, coordinator.url(), "--repo-mb", "0", "--bundle-cache-mb", "0"),
                    dir.resolve("first.log"), RealProcess.crashPoint(point));
            try {
                await().atMost(Duration.ofMinutes(4)).until(() -> !killed.isAlive()
                        || log("first.log").contains("at crash point " + point));
                assertThat(killed.isAlive()).as("the node held at %s; its log: %s", point, log("first.log")).isTrue();
            } finally {
                RealProcess.kill(killed);
            }
            if (point.equals(CrashPoints.REPACK_WRITTEN)) {
                assertThat(gcTemporaries(gitDir)).as("the killed repack's temporary pack").isNotEmpty();
            }

            Process restarted = RealProcess.start(node(dataDir, coordinator.url()), dir.resolve("second.log"));
            try {
                // "peer server on" comes after node.json is written: stopped at "slots:", the node was
                // stopped in that write and left its temporary file (its next start removes it)
                await().atMost(Duration.ofMinutes(4)).until(() -> !restarted.isAlive()
                        || log("second.log").contains("peer server on"));
                assertThat(restarted.isAlive()).as("the node restarted; its log: %s", log("second.log")).isTrue();
            } finally {
                RealProcess.stop(restarted);
            }
            assertThat(log("second.log")).as("the restarted node's log").doesNotContain(" ERROR ");
        }

        // before any open of ours, which would clear them
        assertThat(gitDir.resolve("gc.pid")).as("the killed GC's gc.pid").doesNotExist();
        assertThat(gcTemporaries(gitDir)).as("GC temporary files left after the restart").isEmpty();
        try (Stream<Path> left = Files.walk(dataDir)) {
            assertThat(left.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList())
                    .as("temporary files left in the data directory").isEmpty();
        }
        try (NodeRepository repo = NodeRepository.open(gitDir)) {
            List<String> held = repo.commits();
            assertThat(held).as("commits made here").containsAll(own);
            for (String commit : held) {
                assertThat(repo.readFile(commit, files.get(commit))).as("commit %s's file", commit)
                        .hasValueSatisfying(b -> assertThat(b).isEqualTo(contents.get(commit)));
                for (String parent : parents(gitDir, commit)) {
                    assertThat(held).as("the parent of held commit %s", commit).contains(parent);
                }
            }
        }
    }

    /**
     * The node's repository before its start: a seed and a chain of 8 commits on it, fetched from
     * another repository (held to relay, each its own pack, each with a bundle in the cache), and 3
     * commits made here on the seed (never given up). Returns those made here.
     */
    private static List<String> fill(Path gitDir, Path sourceDir, Map<String, String> files, Map<String, byte[]> contents)
            throws Exception {
        Random random = new Random(22);
        List<String> own = new ArrayList<>();
        try (NodeRepository node = NodeRepository.open(gitDir); NodeRepository source = NodeRepository.open(sourceDir)) {
            String seed = source.commitFiles(null, Map.of("seed.txt", "seed\n".getBytes()), "seed", AUTHOR);
            files.put(seed, "seed.txt");
            contents.put(seed, "seed\n".getBytes());
            node.importBundle(source.bundle(seed, List.of()).path(), seed, 64 << 20);
            String parent = seed;
            for (int i = 0; i < 8; i++) {
                byte[] blob = new byte[64 * 1024];
                random.nextBytes(blob);
                String commit = source.commitFiles(parent, Map.of("r" + i + ".bin", blob), "r" + i, AUTHOR);
                node.importBundle(source.bundle(commit, List.of(parent)).path(), commit, 64 << 20);
                node.bundle(commit, List.of());
                files.put(commit, "r" + i + ".bin");
                contents.put(commit, blob);
                parent = commit;
            }
            for (int i = 0; i < 3; i++) {
                byte[] blob = new byte[16 * 1024];
                random.nextBytes(blob);
                String commit = node.commitFiles(seed, Map.of("own" + i + ".bin", blob), "own" + i, AUTHOR);
                files.put(commit, "own" + i + ".bin");
                contents.put(commit, blob);
                own.add(commit);
            }
        }
        return own;
    }

    private static List<String> parents(Path gitDir, String commit) throws IOException {
        try (Repository repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).build();
                RevWalk walk = new RevWalk(repo)) {
            return Stream.of(walk.parseCommit(ObjectId.fromString(commit)).getParents()).map(RevCommit::name).toList();
        }
    }

    private static List<String> node(Path dataDir, String url, String... more) {
        List<String> args = new ArrayList<>(List.of("node", "--data-dir", dataDir.toString(), "--coordinator", url,
                "--cpu-jobs", "0"));
        args.addAll(List.of(more));
        return TestNetwork.nodeCommand(args.toArray(String[]::new));
    }

    private String log(String name) throws IOException {
        return RealProcess.output(dir.resolve(name));
    }

    /** GC's temporary files ({@code gc_*_tmp}, {@code commit_*_tmp}) under the repository's objects. */
    private static List<Path> gcTemporaries(Path gitDir) throws IOException {
        try (Stream<Path> files = Files.walk(gitDir.resolve("objects"))) {
            return files.filter(p -> p.getFileName().toString().endsWith("_tmp")).toList();
        }
    }
}
