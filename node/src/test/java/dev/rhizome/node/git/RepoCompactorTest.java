package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static dev.rhizome.node.git.NodeRepositoryTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link RepoCompactor} on real JGit repositories in temporary directories. */
class RepoCompactorTest {
    static final int BLOB = 200 * 1024;

    @TempDir
    Path tmp;

    NodeRepository source;
    NodeRepository node;
    String seed;
    final Random random = new Random(7);

    @BeforeEach
    void setUp() throws Exception {
        source = NodeRepository.open(tmp.resolve("source.git"));
        node = NodeRepository.open(tmp.resolve("node.git"));
        seed = source.commitFiles(null, Map.of("train.py", text("lr = 0.1\n")), "seed", AUTHOR);
        node.importBundle(source.bundle(seed, List.of()).path(), seed, 64 << 20);
    }

    @AfterEach
    void tearDown() {
        source.close();
        node.close();
    }

    /** A commit of the source on {@code parent} with an incompressible blob: its bytes on disk are about its size. */
    String sourceCommit(String parent, String name) throws IOException {
        byte[] blob = new byte[BLOB];
        random.nextBytes(blob);
        return source.commitFiles(parent, Map.of(name + ".bin", blob), name, AUTHOR);
    }

    /** The node fetches {@code commit} as from a peer: a thin bundle on what it holds, one pack per import. */
    void fetch(String commit) throws Exception {
        node.importBundle(source.bundle(commit, node.recentCommits(1000)).path(), commit, 64 << 20);
    }

    /** Makes the node's packs and refs look {@code age} old, each ref a second older than the next one held. */
    void age(Path gitDir, Duration age, List<String> heldOrder) throws IOException {
        long then = System.currentTimeMillis() - age.toMillis();
        try (Stream<Path> files = Files.walk(gitDir.resolve("objects"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.setLastModifiedTime(f, FileTime.fromMillis(then));
            }
        }
        for (int i = 0; i < heldOrder.size(); i++) {
            Path ref = gitDir.resolve(NodeRepository.COMMIT_REFS + heldOrder.get(i));
            Files.setLastModifiedTime(ref, FileTime.fromMillis(then + i * 1000L));
        }
    }

    @Test
    void overItsBudgetTheOldestRelayOnlyCommitsGoWhileOwnWantedAndKeptOnesStay() throws Exception {
        List<String> relay = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            relay.add(sourceCommit(seed, "relay" + i));
        }
        String kept = sourceCommit(seed, "kept");
        String wanted = sourceCommit(seed, "wanted");
        List<String> order = new ArrayList<>(List.of(kept)); // the kept one is the oldest of all
        order.addAll(relay);
        order.add(wanted);
        for (String c : order) {
            fetch(c);
        }
        byte[] mine = new byte[BLOB];
        random.nextBytes(mine);
        String own = node.commitFiles(seed, Map.of("mine.bin", mine), "own experiment", AUTHOR);
        List<String> held = new ArrayList<>(List.of(seed));
        held.addAll(order);
        held.add(own);
        age(tmp.resolve("node.git"), Duration.ofHours(2), held);

        RepoCompactor compactor = new RepoCompactor(node);
        RepoCompactor.Usage before = compactor.usage();
        long budget = before.bytes() - 4 * BLOB - BLOB / 2;
        RepoCompactor.Outcome outcome = compactor.prune(budget, Set.of(wanted), Set.of(kept));

        assertThat(outcome.after().bytes()).as("within its budget").isLessThanOrEqualTo(budget);
        assertThat(outcome.after().packs()).isEqualTo(1);
        assertThat(outcome.dropped().size()).isBetween(5, 6);
        List<String> gone = relay.subList(0, outcome.dropped().size());
        node.close();
        node = NodeRepository.open(tmp.resolve("node.git"));
        assertThat(node.commits()).as("the oldest relay-only commits went, nothing else")
                .doesNotContainAnyElementsOf(gone)
                .containsAll(relay.subList(outcome.dropped().size(), relay.size()))
                .contains(seed, kept, wanted, own);
        assertThat(node.ownCommits()).containsExactly(own);
        assertThat(node.readFile(own, "mine.bin")).hasValueSatisfying(b -> assertThat(b).isEqualTo(mine));
        // What it kept it still serves: a fresh repository imports each from it.
        try (NodeRepository peer = NodeRepository.open(tmp.resolve("peer.git"))) {
            for (String c : List.of(kept, wanted, own, relay.get(relay.size() - 1))) {
                peer.importBundle(node.bundle(c, peer.recentCommits(1000)).path(), c, 64 << 20);
                var theirs = peer.readFiles(c);
                var ours = node.readFiles(c);
                assertThat(theirs.keySet()).isEqualTo(ours.keySet());
                ours.forEach((path, bytes) -> assertThat(theirs.get(path)).as(path).isEqualTo(bytes));
            }
        }
        // A dropped commit is simply not held: fetched again, it imports again.
        fetch(gone.get(0));
        assertThat(node.has(gone.get(0))).isTrue();
    }

    @Test
    void keptCommitsGoOnlyOnceNoRelayOnlyOneIsLeftAndOwnAndWantedOnesNever() throws Exception {
        String relay = sourceCommit(seed, "relay");
        String kept = sourceCommit(seed, "kept");
        String wantedParent = sourceCommit(seed, "frontier");
        String wanted = sourceCommit(wantedParent, "wanted");
        for (String c : List.of(kept, relay, wantedParent, wanted)) {
            fetch(c);
        }
        String own = node.commitFiles(seed, Map.of("mine", text("mine")), "own", AUTHOR);
        age(tmp.resolve("node.git"), Duration.ofHours(2), List.of(seed, kept, relay, wantedParent, wanted, own));

        RepoCompactor.Outcome outcome = new RepoCompactor(node).prune(1, Set.of(wanted), Set.of(kept));

        assertThat(outcome.dropped()).containsExactly(relay, kept);
        assertThat(node.commits()).containsExactlyInAnyOrder(seed, wantedParent, wanted, own);
        assertThat(node.readFile(wanted, "wanted.bin")).isPresent();
        assertThat(outcome.after().bytes()).as("what is left is all needed: over the budget, said in the log")
                .isGreaterThan(1);
    }

    @Test
    void aRepackPastTheThresholdLeavesOnePackAndEveryRefStillResolves() throws Exception {
        List<String> commits = new ArrayList<>();
        String parent = seed;
        for (int i = 0; i < 60; i++) {
            parent = source.commitFiles(parent, Map.of("step" + i + ".txt", text("step " + i + "\n")), "step " + i, AUTHOR);
            commits.add(parent);
            fetch(parent);
        }
        List<String> held = new ArrayList<>(List.of(seed));
        held.addAll(commits);
        age(tmp.resolve("node.git"), Duration.ofHours(2), held);
        RepoCompactor compactor = new RepoCompactor(node);
        assertThat(compactor.usage().packs()).isEqualTo(61);

        assertThat(compactor.repackIfNeeded(100).repacked()).as("under the threshold: nothing").isFalse();
        RepoCompactor.Outcome outcome = compactor.repackIfNeeded(RepoCompactor.DEFAULT_MAX_PACKS);

        assertThat(outcome.repacked()).isTrue();
        assertThat(outcome.before().packs()).isEqualTo(61);
        assertThat(outcome.after().packs()).isEqualTo(1);
        assertThat(RepoCompactor.packs(node)).hasSize(1);
        assertThat(outcome.after().bytes()).isLessThan(outcome.before().bytes());
        node.close();
        node = NodeRepository.open(tmp.resolve("node.git"));
        assertThat(node.commits()).containsExactlyInAnyOrderElementsOf(held);
        for (int i = 0; i < commits.size(); i++) {
            assertThat(node.readFile(commits.get(i), "step" + i + ".txt")).hasValue(text("step " + i + "\n"));
        }
    }

    /**
     * Imports race repacks and prunes that keep nothing young (expiry zero): only the write lock the
     * compactor shares with imports keeps an import's new pack from being deleted before its refs
     * are written. Every commit imported still resolves, with all its objects.
     */
    @Test
    void importsRunningDuringRepacksAndPrunesKeepTheirObjects() throws Exception {
        List<String> incoming = new ArrayList<>();
        String parent = seed;
        for (int i = 0; i < 40; i++) {
            parent = source.commitFiles(parent, Map.of("f" + i, text("content " + i + "\n")), "c" + i, AUTHOR);
            incoming.add(parent);
        }
        RepoCompactor compactor = new RepoCompactor(node, Duration.ZERO);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Set<String> protect = ConcurrentHashMap.newKeySet();
        protect.addAll(incoming);
        protect.add(seed);
        Thread janitor = new Thread(() -> {
            try {
                while (!done.get()) {
                    compactor.repackIfNeeded(0);
                    compactor.prune(1, protect, Set.of());
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        janitor.start();
        try {
            for (int i = 0; i < incoming.size(); i++) {
                node.importBundle(source.bundle(incoming.get(i), i == 0 ? List.of(seed) : List.of(incoming.get(i - 1)))
                        .path(), incoming.get(i), 64 << 20);
            }
        } finally {
            done.set(true);
            janitor.join();
        }
        assertThat(failure.get()).isNull();
        compactor.repackIfNeeded(0);
        node.close();
        node = NodeRepository.open(tmp.resolve("node.git"));
        Set<String> expected = new HashSet<>(incoming);
        expected.add(seed);
        assertThat(node.commits()).containsExactlyInAnyOrderElementsOf(expected);
        for (int i = 0; i < incoming.size(); i++) {
            assertThat(node.readFile(incoming.get(i), "f" + i)).hasValue(text("content " + i + "\n"));
        }
    }

    /**
     * An import holds the write lock from its prerequisite check to its last ref: a repack asked
     * meanwhile waits for it (even with nothing young kept), so JGit's GC never reads the refs while
     * a pack is in place whose refs are not written yet.
     */
    @Test
    void aRepackWaitsForAnImportInProgress() throws Exception {
        String next = sourceCommit(seed, "next");
        RepoCompactor compactor = new RepoCompactor(node, Duration.ZERO);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread repack;
        node.writeLock().lock();
        try {
            repack = new Thread(() -> {
                try {
                    compactor.repackIfNeeded(0);
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            repack.start();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> node.writeLock().hasQueuedThread(repack));
            fetch(next); // the import, while the repack waits
        } finally {
            node.writeLock().unlock();
        }
        repack.join();
        assertThat(failure.get()).isNull();
        assertThat(RepoCompactor.packs(node)).hasSize(1);
        assertThat(node.readFile(next, "next.bin")).isPresent();
    }

    /**
     * Another process on the directory (an agent's command importing its workspace) takes no lock of
     * ours: its pack, in place before its refs, is left alone by a repack while younger than the
     * expiry. With no expiry it would be lost, which is why the expiry is there.
     */
    @Test
    void aPackAnotherProcessWroteButHasNotRefedYetSurvivesARepack() throws Exception {
        String other = sourceCommit(null, "other");
        Path bundle = source.bundle(other, List.of()).path();
        List<String> held = List.of(seed);
        age(tmp.resolve("node.git"), Duration.ofHours(2), held);
        writePackOnly(bundle);

        new RepoCompactor(node).repackIfNeeded(0);
        assertThat(objectExists(other)).as("young: kept though nothing reaches it yet").isTrue();

        age(tmp.resolve("node.git"), Duration.ofMinutes(1), held);
        new RepoCompactor(node, Duration.ZERO).repackIfNeeded(0);
        assertThat(objectExists(other)).as("without the expiry the unrefed pack goes").isFalse();
    }

    /** What another process's import does before its refs: the bundle's pack stored, through its own repository object. */
    private void writePackOnly(Path bundle) throws Exception {
        try (org.eclipse.jgit.lib.Repository repo = new org.eclipse.jgit.storage.file.FileRepositoryBuilder()
                .setGitDir(tmp.resolve("node.git").toFile()).setBare().build();
             InputStream in = Files.newInputStream(bundle);
             org.eclipse.jgit.lib.ObjectInserter inserter = repo.newObjectInserter()) {
            GitBundleHeader.read(in);
            inserter.newPackParser(in).parse(org.eclipse.jgit.lib.NullProgressMonitor.INSTANCE);
            inserter.flush();
        }
    }

    private boolean objectExists(String commit) throws IOException {
        try (org.eclipse.jgit.lib.Repository repo = new org.eclipse.jgit.storage.file.FileRepositoryBuilder()
                .setGitDir(tmp.resolve("node.git").toFile()).setBare().build()) {
            return repo.getObjectDatabase().has(org.eclipse.jgit.lib.ObjectId.fromString(commit));
        }
    }
}
